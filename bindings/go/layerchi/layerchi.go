// Package layerchi serves the Layer identity-token endpoint (package layeridentity) on a
// github.com/go-chi/chi/v5 router, mounted under a prefix the way chi mounts things:
//
//	r := chi.NewRouter()
//	r.Use(sessionMiddleware) // puts the logged-in user in the request's context
//	r.Mount("/layer", layerchi.Handler(signer, currentUser))
//
// answers POST /layer/identity-token and GET /layer/healthz. The endpoint sees the path
// below the mount point, as the client sent it (no StripPrefix needed).
package layerchi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/layerhq/layer-identity/bindings/go/layeridentity"
)

// Handler returns the identity-token endpoint for chi: mount it with r.Mount(prefix,
// handler), or serve it at the root. authenticate is the application's session check, as
// for layeridentity.Handler: it gets the request, whose context holds what chi's middleware
// put there, and the body's fields, and returns the user ID ("" with a nil error: nobody,
// 401; an error: 401, logged). layeridentity.TrustBodyUserID is the demo authenticator.
// Handler panics when signer or authenticate is nil.
func Handler(signer *layeridentity.Signer, authenticate func(r *http.Request, f layeridentity.Fields) (userID string, err error)) http.Handler {
	if signer == nil {
		panic("layerchi.Handler: nil *layeridentity.Signer")
	}
	if authenticate == nil {
		panic("layerchi.Handler: nil authenticate function")
	}
	e := &layeridentity.Endpoint{Signer: signer}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := ""
		if rctx := chi.RouteContext(r.Context()); rctx != nil {
			path = rctx.RoutePath // below the mount point; "" outside a mounted router
		}
		e.Serve(w, r, path, func(f layeridentity.Fields) (string, error) { return authenticate(r, f) })
	})
}
