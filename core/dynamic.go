package core

import (
	"regexp"
	"slices"
	"sync"
)

// NamespaceMatcher decides whether a client may create a namespace it
// asks for; auth is the client's CONNECT payload.
type NamespaceMatcher func(name string, auth map[string]any) bool

// ParentNamespace creates child namespaces on demand: when a client asks
// for a namespace that does not exist, each parent is tried in the order
// it was registered, and the first that matches creates the child. Its
// middlewares and connection handlers apply to every child (those added
// later included). It is safe for concurrent use.
type ParentNamespace struct {
	srv   *Server
	re    *regexp.Regexp
	match NamespaceMatcher

	mu          sync.RWMutex
	middlewares []Middleware
	onConnect   []func(*Socket)
	children    map[string]*Namespace
}

// OfRegexp registers a parent namespace for the names re matches (Node's
// io.of(/^\/dyn-\d+$/)).
func (s *Server) OfRegexp(re *regexp.Regexp) *ParentNamespace {
	return s.addParent(&ParentNamespace{re: re})
}

// OfFunc registers a parent namespace for the names match accepts (Node's
// io.of((name, auth, next) => ...)).
func (s *Server) OfFunc(match NamespaceMatcher) *ParentNamespace {
	return s.addParent(&ParentNamespace{match: match})
}

func (s *Server) addParent(p *ParentNamespace) *ParentNamespace {
	p.srv = s
	p.children = make(map[string]*Namespace)
	s.mu.Lock()
	s.parents = append(s.parents, p)
	s.mu.Unlock()
	return p
}

func (p *ParentNamespace) matches(name string, auth map[string]any) bool {
	if p.re != nil {
		return p.re.MatchString(name)
	}
	defer func() { _ = recover() }()
	return p.match(name, auth)
}

// Use adds a middleware run for the sockets of every child, before the
// child's own.
func (p *ParentNamespace) Use(mw Middleware) {
	p.mu.Lock()
	p.middlewares = append(p.middlewares, mw)
	p.mu.Unlock()
}

// OnConnection adds a connection handler for the sockets of every child.
func (p *ParentNamespace) OnConnection(fn func(*Socket)) {
	p.mu.Lock()
	p.onConnect = append(p.onConnect, fn)
	p.mu.Unlock()
}

// Children lists the child namespaces created so far.
func (p *ParentNamespace) Children() []*Namespace {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*Namespace, 0, len(p.children))
	for _, n := range p.children {
		out = append(out, n)
	}
	return out
}

// Emit sends an event to every socket of every child.
func (p *ParentNamespace) Emit(event string, args ...any) error {
	for _, n := range p.Children() {
		if err := n.Emit(event, args...); err != nil {
			return err
		}
	}
	return nil
}

func (p *ParentNamespace) handlers() ([]Middleware, []func(*Socket)) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.Clone(p.middlewares), slices.Clone(p.onConnect)
}

// resolveNamespace finds or creates the namespace a client asks for.
func (s *Server) resolveNamespace(name string, auth map[string]any) *Namespace {
	if n := s.lookupNamespace(name); n != nil {
		return n
	}
	s.mu.RLock()
	parents := slices.Clone(s.parents)
	s.mu.RUnlock()
	for _, p := range parents {
		if p.matches(name, auth) {
			return s.createChild(p, name)
		}
	}
	return nil
}

func (s *Server) createChild(p *ParentNamespace, name string) *Namespace {
	n := s.Of(name)
	n.mu.Lock()
	if n.parent == nil {
		n.parent = p
	}
	n.mu.Unlock()
	p.mu.Lock()
	p.children[name] = n
	p.mu.Unlock()
	return n
}

// OnNewNamespace registers a handler called when a namespace is created
// (Node's io.on("new_namespace")), the main one excepted.
func (s *Server) OnNewNamespace(fn func(*Namespace)) {
	s.mu.Lock()
	s.onNewNamespace = append(s.onNewNamespace, fn)
	s.mu.Unlock()
}
