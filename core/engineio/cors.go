package engineio

import (
	"net/url"
	"strconv"
	"strings"
)

// CORS holds the options of the CORS answers, modelled on the options of
// the cors middleware that the Node.js server uses.
type CORS struct {
	// Origins lists the allowed origins ("https://example.com"); "*" allows
	// any origin. Empty with AllowOriginFunc nil means any origin ("*").
	Origins []string
	// AllowOriginFunc, when set, decides instead of Origins; the request's
	// origin is then echoed back when allowed.
	AllowOriginFunc func(origin string) bool
	// Methods answers preflights. Empty means GET,HEAD,PUT,PATCH,POST,DELETE.
	Methods []string
	// AllowedHeaders answers preflights. Empty echoes the requested headers.
	AllowedHeaders []string
	// ExposedHeaders lists the response headers a page may read.
	ExposedHeaders []string
	// Credentials sets Access-Control-Allow-Credentials: true.
	Credentials bool
	// MaxAge, in seconds, of a preflight answer. Zero sends no header.
	MaxAge int
}

// allowed reports whether origin may read responses, and the value of
// Access-Control-Allow-Origin to send.
func (c *CORS) allowed(origin string) (string, bool) {
	if c.AllowOriginFunc != nil {
		if origin != "" && c.AllowOriginFunc(origin) {
			return origin, true
		}
		return "", false
	}
	if len(c.Origins) == 0 {
		return "*", true
	}
	for _, o := range c.Origins {
		if o == "*" {
			return "*", true
		}
		if origin != "" && strings.EqualFold(o, origin) {
			if len(c.Origins) == 1 {
				return o, true
			}
			return origin, true
		}
	}
	if len(c.Origins) == 1 {
		// Like the cors middleware: a single fixed origin is always sent,
		// and the browser refuses a mismatch itself.
		return c.Origins[0], false
	}
	return "", false
}

// apply adds the CORS headers to res. It reports whether the request was a
// preflight, which res then fully answers.
func (c *CORS) apply(req *Request, res *response) bool {
	origin := req.Header.Get("Origin")
	allow, _ := c.allowed(origin)
	if allow != "" {
		res.set("Access-Control-Allow-Origin", allow)
	}
	vary := allow != "*"
	if c.Credentials {
		res.set("Access-Control-Allow-Credentials", "true")
	}
	if req.Method != "OPTIONS" {
		if len(c.ExposedHeaders) > 0 {
			res.set("Access-Control-Expose-Headers", strings.Join(c.ExposedHeaders, ","))
		}
		if vary {
			res.set("Vary", "Origin")
		}
		return false
	}
	methods := "GET,HEAD,PUT,PATCH,POST,DELETE"
	if len(c.Methods) > 0 {
		methods = strings.Join(c.Methods, ",")
	}
	res.set("Access-Control-Allow-Methods", methods)
	varyValue := ""
	if vary {
		varyValue = "Origin"
	}
	if len(c.AllowedHeaders) > 0 {
		res.set("Access-Control-Allow-Headers", strings.Join(c.AllowedHeaders, ","))
	} else if h := req.Header.Get("Access-Control-Request-Headers"); h != "" {
		res.set("Access-Control-Allow-Headers", h)
		if varyValue != "" {
			varyValue += ","
		}
		varyValue += "Access-Control-Request-Headers"
	}
	if varyValue != "" {
		res.set("Vary", varyValue)
	}
	if c.MaxAge > 0 {
		res.set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
	}
	res.status = 204
	res.set("Content-Length", "0")
	return true
}

// defaultCheckOrigin accepts no Origin, a same-host Origin, or an origin
// that the CORS options allow explicitly.
func (s *Server) defaultCheckOrigin(r *Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err == nil && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if c := s.cfg.CORS; c != nil {
		if c.AllowOriginFunc != nil {
			return c.AllowOriginFunc(origin)
		}
		for _, o := range c.Origins {
			if o == "*" || strings.EqualFold(o, origin) {
				return true
			}
		}
	}
	return false
}
