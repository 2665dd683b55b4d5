module github.com/layerhq/layer-identity/bindings/go/layerchi

go 1.24

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/layerhq/layer-identity/bindings/go v0.0.0
)

// The wrapper itself, from this checkout (it is not published on a module proxy).
replace github.com/layerhq/layer-identity/bindings/go => ../
