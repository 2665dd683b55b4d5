module github.com/layerhq/layer-identity/bindings/go

go 1.22
