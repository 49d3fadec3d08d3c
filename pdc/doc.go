// Package pdc is a client for the module registry of PDC, the Product
// Definition Center (a Django REST Framework service, retired from Fedora
// but still the shape pdc-updater and Freshmaker used): the modules/
// endpoint, its filters, both of DRF's answer shapes (a page
// {count, next, previous, results}, or a bare list when page_size <= 0),
// and token authentication (Authorization: Token ...) for writes.
//
// Package pdc/pdctest is an in-process server for tests.
package pdc
