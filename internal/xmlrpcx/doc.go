// Package xmlrpcx is modkit's XML-RPC plumbing for the koji hub: a
// context-aware HTTP transport around the github.com/kolo/xmlrpc codec.
//
// kolo/xmlrpc encodes and decodes values well, but it cannot send `<nil/>`,
// writes every integer as `<int>`, emits map members in random order without
// escaping their names, drops untyped nils from argument lists, has no
// context, and hides fault codes behind net/rpc. This package keeps kolo as the
// codec and fixes those points around it:
//
//   - [EncodeCall] normalises arguments before handing them to kolo: nil
//     becomes `<nil/>`, integers outside the int32 range become `<i8>`, map
//     and [Kwargs] members are sorted (kwargs first carry koji's
//     `__starstar` marker) and their names are escaped, and times become
//     epoch seconds (koji rejects `dateTime.iso8601`).
//   - [DecodeResponse] returns a generic value tree (nil, bool, int64,
//     float64, string, []any, map[string]any) or a typed [*Fault], and never
//     panics on malformed input. [Unmarshal] maps such a tree onto tagged Go
//     structs, keeping nil pointers nil.
//   - [Client] posts requests with a caller-supplied *http.Client and
//     context, and reports non-2xx replies as [*HTTPError].
//   - [DecodeCall], [EncodeResponse] and [EncodeFault] serve in-process test
//     servers; [Canonicalize] makes two XML-RPC documents comparable.
//
// Known limit inherited from kolo: decoding into an interface turns an empty
// `<string></string>` into nil, so "" and None are indistinguishable in the
// value tree. [Unmarshal] maps both to "" for string fields.
package xmlrpcx
