// Package mbsapi is the REST API of the module build service, compatible
// with Fedora's Module Build Service (MBS) at /module-build-service/1/ and
// /module-build-service/2/, and a client for it that also works against a
// real MBS.
//
// [NewHandler] serves the API over an [orchestrator.Service]: submitting
// builds (JSON or multipart with a yaml file), listing them with MBS's
// filters, ordering and pagination, getting one in its short, default or
// verbose JSON, canceling with PATCH, component builds, user-visible log
// messages, about and rebuild-strategies. Errors are MBS's JSON
// ({"error", "message", "status"}) with its status codes.
//
// Authentication is by bearer tokens ([Tokens], loaded from a file of
// "TOKEN USER GROUP[,GROUP...]" lines) unless [Options].NoAuth is set.
// Submitting needs one of the allowed groups (default "packager");
// canceling needs the owner or an admin group; GETs are anonymous.
//
// Usage:
//
//	tokens, err := mbsapi.LoadTokens("tokens.txt")
//	h := mbsapi.NewHandler(svc, &mbsapi.Options{Auth: tokens, SCMAllow: []string{"https://src.example.com/"}})
//	http.ListenAndServe("127.0.0.1:8080", h)
//
//	c, err := mbsapi.NewClient("http://127.0.0.1:8080", mbsapi.WithToken(tok))
//	builds, meta, err := c.ListModuleBuilds(ctx, &mbsapi.ListOptions{States: []string{"build"}})
//
// See https://pagure.io/fm-orchestrator for the original API.
package mbsapi
