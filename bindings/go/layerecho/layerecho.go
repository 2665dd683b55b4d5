// Package layerecho serves the Layer identity-token endpoint (package layeridentity) on a
// github.com/labstack/echo/v4 server, mounted under a prefix the way echo mounts things: a
// group with a wildcard route.
//
//	e := echo.New()
//	e.Use(sessionMiddleware) // c.Set("user", ...) for a logged-in user
//	e.Group("/layer").Any("/*", layerecho.Handler(signer, currentUser))
//
// answers POST /layer/identity-token and GET /layer/healthz; authenticate gets the
// echo.Context, so it reads what the application's middleware set (c.Get).
package layerecho

import (
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/layerhq/layer-identity/bindings/go/layeridentity"
)

// Handler returns the identity-token endpoint as an echo handler. Register it for any
// method under a wildcard route (group.Any("/*", handler)): it serves the path below the
// wildcard's start, as the client sent it. authenticate is the application's session check:
// it gets the request's echo.Context and the body's fields and returns the user ID ("" with
// a nil error: nobody, 401; an error: 401, logged). TrustBodyUserID is the demo
// authenticator. Handler panics when signer or authenticate is nil. The handler answers
// every request itself and returns nil.
func Handler(signer *layeridentity.Signer, authenticate func(c echo.Context, f layeridentity.Fields) (userID string, err error)) echo.HandlerFunc {
	if signer == nil {
		panic("layerecho.Handler: nil *layeridentity.Signer")
	}
	if authenticate == nil {
		panic("layerecho.Handler: nil authenticate function")
	}
	e := &layeridentity.Endpoint{Signer: signer}
	return func(c echo.Context) error {
		e.Serve(c.Response(), c.Request(), mountedPath(c), func(f layeridentity.Fields) (string, error) { return authenticate(c, f) })
		return nil
	}
}

// TrustBodyUserID is the DEMO authenticate function: the user ID the client put in the
// body (layeridentity.Fields.DemoUserID). Print layeridentity.DemoWarning when you mount
// it, and replace it with your application's own session check.
func TrustBodyUserID(_ echo.Context, f layeridentity.Fields) (string, error) { return f.DemoUserID() }

// mountedPath is the path from the route's wildcard on ("/identity-token" for "/layer/*":
// echo's "*" parameter starts after the slash), or "" (the whole path) for a route without
// a wildcard.
func mountedPath(c echo.Context) string {
	route := c.Path()
	if !strings.HasSuffix(route, "*") {
		return ""
	}
	if strings.HasSuffix(route, "/*") {
		return "/" + c.Param("*")
	}
	return c.Param("*")
}
