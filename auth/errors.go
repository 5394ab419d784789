package auth

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/core"
)

// Errors. Every error that [Authenticator.Authenticate] returns matches
// exactly one of them with errors.Is, and also matches the golang-jwt error
// behind it (jwt.ErrTokenExpired, jwt.ErrTokenSignatureInvalid, ...).
var (
	// ErrTokenMissing: no source of the lookup list held a token.
	ErrTokenMissing = errors.New("auth: token missing")
	// ErrTokenInvalid: the token is malformed, its signature does not
	// verify, the key function failed, or a claim is wrong (issuer,
	// audience, a required claim missing, a custom validation).
	ErrTokenInvalid = errors.New("auth: token invalid")
	// ErrTokenExpired: the token's exp (plus Leeway) has passed.
	ErrTokenExpired = errors.New("auth: token expired")
	// ErrTokenNotValidYet: the token's nbf (minus Leeway) is still ahead.
	ErrTokenNotValidYet = errors.New("auth: token not valid yet")
	// ErrMethodNotAllowed: the token's alg is not one of the pinned
	// methods ("none" never is).
	ErrMethodNotAllowed = errors.New("auth: signing method not allowed")
	// ErrSubjectMismatch: an in-band refresh brought a token for another
	// subject than the one the socket authenticated as.
	ErrSubjectMismatch = errors.New("auth: subject mismatch")
	// ErrNoClaims: [Claims] found no claims for the socket.
	ErrNoClaims = errors.New("auth: socket has no claims")
)

// Codes sent to the client: the code field of the CONNECT_ERROR data and
// of a failed refresh's answer. See the package documentation.
const (
	CodeTokenMissing     = "token_missing"
	CodeTokenInvalid     = "token_invalid"
	CodeTokenExpired     = "token_expired"
	CodeTokenNotValidYet = "token_not_yet_valid"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeSubjectMismatch  = "subject_mismatch"
)

// Message is the message of the CONNECT_ERROR refusing a connection (the
// client's err.message).
const Message = "unauthorized"

// Code returns the client-facing code of an error of this package, "" for
// any other error.
func Code(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrTokenMissing):
		return CodeTokenMissing
	case errors.Is(err, ErrMethodNotAllowed):
		return CodeMethodNotAllowed
	case errors.Is(err, ErrTokenExpired):
		return CodeTokenExpired
	case errors.Is(err, ErrTokenNotValidYet):
		return CodeTokenNotValidYet
	case errors.Is(err, ErrSubjectMismatch):
		return CodeSubjectMismatch
	case errors.Is(err, ErrTokenInvalid):
		return CodeTokenInvalid
	}
	return ""
}

// ConnectError returns the refusal a client gets for an authentication
// error by default: Message "unauthorized" and Data {"code": Code(err)}
// ("token_invalid" for an error of another package). Config.OnError hooks
// may start from it.
func ConnectError(err error) *core.ConnectError {
	code := Code(err)
	if code == "" {
		code = CodeTokenInvalid
	}
	return &core.ConnectError{Message: Message, Data: map[string]any{"code": code}}
}

// claimErrors are the golang-jwt claim errors that make a token invalid
// whatever its time claims say.
var claimErrors = []error{
	jwt.ErrTokenMalformed,
	jwt.ErrTokenUnverifiable,
	jwt.ErrTokenSignatureInvalid,
	jwt.ErrTokenInvalidAudience,
	jwt.ErrTokenInvalidIssuer,
	jwt.ErrTokenInvalidSubject,
	jwt.ErrTokenInvalidId,
	jwt.ErrTokenUsedBeforeIssued,
	jwt.ErrTokenRequiredClaimMissing,
	jwt.ErrInvalidType,
}

// classify maps a golang-jwt error to this package's sentinel: a token
// both expired and for another audience is invalid, not expired, so that
// the client does not fetch a fresh token of the same wrong kind.
func classify(err error) error {
	for _, e := range claimErrors {
		if errors.Is(err, e) {
			return ErrTokenInvalid
		}
	}
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return ErrTokenNotValidYet
	}
	return ErrTokenInvalid
}
