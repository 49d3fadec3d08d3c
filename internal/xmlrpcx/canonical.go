package xmlrpcx

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Canonicalize rewrites an XML-RPC document (methodCall or methodResponse)
// into a canonical indented form so that two documents can be compared:
// whitespace between elements and the XML declaration are dropped, struct
// members are sorted by name, an untyped `<value>text</value>` becomes
// `<string>`, `<i4>` becomes `<int>`, doubles are reformatted, and `<value/>`
// becomes an empty `<string>` (what it means to a koji hub). `<nil/>` and
// `<i8>` are kept distinct from every other form.
func Canonicalize(doc []byte) ([]byte, error) {
	root, err := parseTree(doc)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeNode(&b, canon(root), 0)
	return b.Bytes(), nil
}

type node struct {
	name     string
	text     string
	children []*node
}

func parseTree(doc []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, ErrMalformed
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil || len(stack) != 0 {
		return nil, fmt.Errorf("%w: no root element", ErrMalformed)
	}
	return root, nil
}

func canon(n *node) *node {
	switch n.name {
	case "value":
		if len(n.children) == 0 {
			return &node{name: "value", children: []*node{{name: "string", text: n.text}}}
		}
		return &node{name: "value", children: []*node{canon(n.children[0])}}
	case "i4", "int":
		return &node{name: "int", text: strings.TrimSpace(n.text)}
	case "i8":
		return &node{name: "i8", text: strings.TrimSpace(n.text)}
	case "double":
		s := strings.TrimSpace(n.text)
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			s = strconv.FormatFloat(f, 'g', -1, 64)
		}
		return &node{name: "double", text: s}
	case "string", "name", "methodName", "base64", "boolean", "dateTime.iso8601":
		return &node{name: n.name, text: n.text}
	case "nil":
		return &node{name: "nil"}
	}
	out := &node{name: n.name}
	for _, c := range n.children {
		out.children = append(out.children, canon(c))
	}
	if n.name == "struct" {
		slices.SortStableFunc(out.children, func(a, b *node) int {
			return strings.Compare(memberName(a), memberName(b))
		})
	}
	return out
}

func memberName(m *node) string {
	for _, c := range m.children {
		if c.name == "name" {
			return c.text
		}
	}
	return ""
}

func writeNode(b *bytes.Buffer, n *node, depth int) {
	indent := strings.Repeat("  ", depth)
	if len(n.children) == 0 {
		var esc bytes.Buffer
		_ = xml.EscapeText(&esc, []byte(n.text))
		if esc.Len() == 0 {
			fmt.Fprintf(b, "%s<%s/>\n", indent, n.name)
			return
		}
		fmt.Fprintf(b, "%s<%s>%s</%s>\n", indent, n.name, esc.String(), n.name)
		return
	}
	fmt.Fprintf(b, "%s<%s>\n", indent, n.name)
	for _, c := range n.children {
		writeNode(b, c, depth+1)
	}
	fmt.Fprintf(b, "%s</%s>\n", indent, n.name)
}
