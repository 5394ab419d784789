package engineio

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"strings"
	"sync"
)

// compressThreshold is the smallest polling body that gets compressed, as
// httpCompression's default threshold in the reference server.
const compressThreshold = 1024

var (
	gzipPool  = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression); return w }}
	flatePool = sync.Pool{New: func() any { w, _ := flate.NewWriter(nil, flate.DefaultCompression); return w }}
)

// compressResponse encodes a polling body with gzip (preferred) or deflate
// when the client accepts it and the body is large enough.
func compressResponse(res *response, acceptEncoding string) {
	if !res.compressible || len(res.body) < compressThreshold || acceptEncoding == "" {
		return
	}
	var enc string
	switch {
	case acceptsEncoding(acceptEncoding, "gzip"):
		enc = "gzip"
	case acceptsEncoding(acceptEncoding, "deflate"):
		enc = "deflate"
	default:
		return
	}
	var buf bytes.Buffer
	buf.Grow(len(res.body) / 2)
	if enc == "gzip" {
		w := gzipPool.Get().(*gzip.Writer)
		w.Reset(&buf)
		_, _ = w.Write(res.body)
		_ = w.Close()
		gzipPool.Put(w)
	} else {
		w := flatePool.Get().(*flate.Writer)
		w.Reset(&buf)
		_, _ = w.Write(res.body)
		_ = w.Close()
		flatePool.Put(w)
	}
	res.body = buf.Bytes()
	res.set("Content-Encoding", enc)
}

func acceptsEncoding(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
	}
	return false
}
