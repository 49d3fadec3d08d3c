package xmlrpcx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/kolo/xmlrpc"
)

// ErrMalformed reports a document that is not a valid XML-RPC message.
var ErrMalformed = errors.New("xmlrpcx: malformed XML-RPC document")

// Fault is an XML-RPC fault: the server ran the call and reported an error.
type Fault struct {
	Code      int
	Message   string
	Traceback []string // koji sends one with multicall faults; often nil
}

// Error implements error.
func (f *Fault) Error() string {
	return fmt.Sprintf("fault %d: %s", f.Code, f.Message)
}

// DecodeResponse decodes a methodResponse document. It returns the result as
// a value tree (nil, bool, int64, float64, string, []any, map[string]any), or
// a [*Fault] error if the server returned a fault, or an error wrapping
// [ErrMalformed]. It never panics.
func DecodeResponse(body []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%w: decoder panic: %v", ErrMalformed, r)
		}
	}()
	if !bytes.Contains(body, []byte("<methodResponse")) {
		return nil, fmt.Errorf("%w: no methodResponse element", ErrMalformed)
	}
	resp := xmlrpc.Response(body)
	if bytes.Contains(body, []byte("<fault>")) {
		var tree any
		if err := resp.Unmarshal(&tree); err != nil {
			return nil, fmt.Errorf("%w: fault: %v", ErrMalformed, err)
		}
		if f, ok := FaultFromValue(tree); ok {
			return nil, f
		}
		if ferr := resp.Err(); ferr != nil {
			var kf xmlrpc.FaultError
			if errors.As(ferr, &kf) {
				return nil, &Fault{Code: kf.Code, Message: kf.String}
			}
			return nil, fmt.Errorf("%w: fault: %v", ErrMalformed, ferr)
		}
	}
	if err := resp.Unmarshal(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return v, nil
}

// FaultFromValue interprets a decoded struct {faultCode, faultString[,
// traceback]} as a fault, as found in multicall results.
func FaultFromValue(v any) (*Fault, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	code, ok := m["faultCode"].(int64)
	if !ok {
		return nil, false
	}
	f := &Fault{Code: int(code)}
	f.Message, _ = m["faultString"].(string)
	if tb, ok := m["traceback"].([]any); ok {
		for _, line := range tb {
			if s, ok := line.(string); ok {
				f.Traceback = append(f.Traceback, s)
			}
		}
	}
	return f, true
}

// DecodeCall decodes a methodCall document into its method name and
// parameters (as value trees). Like the koji hub, it silently drops a
// `<param>` that holds no `<value>`. It never panics.
func DecodeCall(body []byte) (method string, params []any, err error) {
	defer func() {
		if r := recover(); r != nil {
			method, params, err = "", nil, fmt.Errorf("%w: decoder panic: %v", ErrMalformed, r)
		}
	}()
	dec := xml.NewDecoder(bytes.NewReader(body))
	var inName, sawCall bool
	for {
		tok, terr := dec.Token()
		if terr != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "methodCall":
				sawCall = true
			case "methodName":
				inName = true
			}
		case xml.EndElement:
			inName = false
		case xml.CharData:
			if inName {
				method += string(t)
			}
		}
		if sawCall && method != "" && !inName {
			break
		}
	}
	method = strings.TrimSpace(method)
	if !sawCall || method == "" {
		return "", nil, fmt.Errorf("%w: no methodCall/methodName", ErrMalformed)
	}
	start := bytes.Index(body, []byte("<params>"))
	if start < 0 {
		return method, nil, nil
	}
	end := bytes.LastIndex(body, []byte("</params>"))
	if end < start {
		return "", nil, fmt.Errorf("%w: unterminated params", ErrMalformed)
	}
	inner := body[start+len("<params>") : end]
	inner = bytes.ReplaceAll(inner, []byte("<param>"), nil)
	inner = bytes.ReplaceAll(inner, []byte("</param>"), nil)
	var doc bytes.Buffer
	doc.WriteString("<methodResponse><params><param><value><array><data>")
	doc.Write(inner)
	doc.WriteString("</data></array></value></param></params></methodResponse>")
	var v any
	if err := xmlrpc.Response(doc.Bytes()).Unmarshal(&v); err != nil {
		return "", nil, fmt.Errorf("%w: params: %v", ErrMalformed, err)
	}
	params, ok := v.([]any)
	if !ok {
		return "", nil, fmt.Errorf("%w: params", ErrMalformed)
	}
	return method, params, nil
}

// SplitKwargs removes a trailing koji keyword-argument struct from params.
func SplitKwargs(params []any) ([]any, map[string]any) {
	if len(params) == 0 {
		return params, nil
	}
	m, ok := params[len(params)-1].(map[string]any)
	if !ok {
		return params, nil
	}
	if b, _ := m[StarStar].(bool); !b {
		return params, nil
	}
	kw := make(map[string]any, len(m)-1)
	for k, v := range m {
		if k != StarStar {
			kw[k] = v
		}
	}
	return params[:len(params)-1], kw
}
