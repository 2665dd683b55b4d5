// Package layergin serves the Layer identity-token endpoint (package layeridentity) on a
// github.com/gin-gonic/gin engine, mounted under a prefix the way gin mounts things: a route
// group with a catch-all path.
//
//	r := gin.New()
//	r.Use(sessionMiddleware) // c.Set("user", ...) for a logged-in user
//	r.Group("/layer").Any("/*path", layergin.Handler(signer, currentUser))
//
// answers POST /layer/identity-token and GET /layer/healthz; authenticate gets the
// *gin.Context, so it reads what the application's middleware set (c.Get).
package layergin

import (
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/layerhq/layer-identity/bindings/go/layeridentity"
)

// Handler returns the identity-token endpoint as a gin handler. Register it for any method
// under a catch-all path (group.Any("/*path", handler)): it serves the path below the
// catch-all's start, as the client sent it. authenticate is the application's session
// check: it gets the request's *gin.Context and the body's fields and returns the user ID
// ("" with a nil error: nobody, 401; an error: 401, logged). TrustBodyUserID is the demo
// authenticator. Handler panics when signer or authenticate is nil.
func Handler(signer *layeridentity.Signer, authenticate func(c *gin.Context, f layeridentity.Fields) (userID string, err error)) gin.HandlerFunc {
	if signer == nil {
		panic("layergin.Handler: nil *layeridentity.Signer")
	}
	if authenticate == nil {
		panic("layergin.Handler: nil authenticate function")
	}
	e := &layeridentity.Endpoint{Signer: signer}
	return func(c *gin.Context) {
		e.Serve(c.Writer, c.Request, mountedPath(c), func(f layeridentity.Fields) (string, error) { return authenticate(c, f) })
	}
}

// TrustBodyUserID is the DEMO authenticate function: the user ID the client put in the
// body (layeridentity.Fields.DemoUserID). Print layeridentity.DemoWarning when you mount
// it, and replace it with your application's own session check.
func TrustBodyUserID(_ *gin.Context, f layeridentity.Fields) (string, error) { return f.DemoUserID() }

// mountedPath is the value of the route's catch-all parameter ("/identity-token" for
// "/layer/*path"), or "" (the whole path) for a route without one.
func mountedPath(c *gin.Context) string {
	full := c.FullPath()
	i := strings.LastIndex(full, "/*")
	if i < 0 {
		return ""
	}
	return c.Param(full[i+2:])
}
