module github.com/layerhq/layer-identity/bindings/go/bench

go 1.22

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/layerhq/layer-identity/bindings/go v0.0.0
)

// The wrapper itself, from this checkout.
replace github.com/layerhq/layer-identity/bindings/go => ../
