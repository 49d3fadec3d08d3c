package koji

import (
	"errors"
	"fmt"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

// ErrNotFound is returned (wrapped) when the hub answers a lookup with nil:
// the tag, build, target, task, repo, RPM or user does not exist.
var ErrNotFound = errors.New("koji: not found")

// ErrNotLoggedIn is returned by calls that need a session when the client
// has none, and by [Client.GetLoggedInUser] for an anonymous client.
var ErrNotLoggedIn = errors.New("koji: not logged in")

// ErrTaskFailed and ErrTaskCanceled are matched by the error [Client.WaitTask]
// returns for a task that did not close successfully.
var (
	ErrTaskFailed   = errors.New("koji: task failed")
	ErrTaskCanceled = errors.New("koji: task canceled")
)

// HTTPError is a non-2xx HTTP reply from the hub: 400 for an unparsable
// request, 405 for a GET, 408 for a read timeout, 5xx from a proxy.
type HTTPError = xmlrpcx.HTTPError

// Fault is an XML-RPC fault raised by the hub. Code identifies the koji
// exception class (see the Err* sentinels); errors.Is(err, ErrAuth) holds for
// a fault of class AuthError or any of its subclasses (AuthExpired, ...).
type Fault struct {
	Method    string   // XML-RPC method that failed
	Code      int      // koji fault code, e.g. 1000 for GenericError
	Message   string   // the hub's faultString
	Traceback []string // sent by the hub with some multicall faults
}

// Error implements error.
func (f *Fault) Error() string {
	name := faultNames[f.Code]
	if name == "" {
		name = "Fault"
	}
	if f.Method == "" {
		return fmt.Sprintf("koji: %s (%d): %s", name, f.Code, f.Message)
	}
	return fmt.Sprintf("koji: %s: %s (%d): %s", f.Method, name, f.Code, f.Message)
}

// Is reports whether f belongs to the fault class target, following koji's
// exception hierarchy. A target matches when it is a *Fault with no Method and
// no Message (a sentinel) whose Code is f's code or one of its ancestors.
func (f *Fault) Is(target error) bool {
	t, ok := target.(*Fault)
	if !ok || t.Method != "" || t.Message != "" {
		return false
	}
	for code := f.Code; code != 0; code = faultParent[code] {
		if code == t.Code {
			return true
		}
	}
	return false
}

// Fault class sentinels, named after koji's exception classes. Codes are
// koji's (koji/__init__.py).
var (
	ErrGeneric            = &Fault{Code: 1000} // GenericError: parent of every koji fault
	ErrLock               = &Fault{Code: 1001} // LockError
	ErrAuth               = &Fault{Code: 1002} // AuthError: bad session or credentials
	ErrTag                = &Fault{Code: 1003} // TagError: e.g. package not in tag list
	ErrActionNotAllowed   = &Fault{Code: 1004} // ActionNotAllowed: permission or policy denial
	ErrBuild              = &Fault{Code: 1005} // BuildError
	ErrAuthLock           = &Fault{Code: 1006} // AuthLockError (an AuthError)
	ErrAuthExpired        = &Fault{Code: 1007} // AuthExpired (an AuthError): session needs renewal
	ErrSequence           = &Fault{Code: 1008} // SequenceError (an AuthError): callnum went backwards
	ErrRetry              = &Fault{Code: 1009} // RetryError (an AuthError): callnum replayed after a commit
	ErrPreBuild           = &Fault{Code: 1010} // PreBuildError (a BuildError)
	ErrPostBuild          = &Fault{Code: 1011} // PostBuildError (a BuildError)
	ErrBuildroot          = &Fault{Code: 1012} // BuildrootError (a BuildError)
	ErrFunctionDeprecated = &Fault{Code: 1013} // FunctionDeprecated
	ErrServerOffline      = &Fault{Code: 1014} // ServerOffline: hub offline or database outage
	ErrLiveCD             = &Fault{Code: 1015} // LiveCDError
	ErrPlugin             = &Fault{Code: 1016} // PluginError
	ErrCallback           = &Fault{Code: 1017} // CallbackError (a PluginError)
	ErrAppliance          = &Fault{Code: 1018} // ApplianceError
	ErrParameter          = &Fault{Code: 1019} // ParameterError: bad, missing or unknown arguments
	ErrImport             = &Fault{Code: 1020} // ImportError: CG or RPM import problem
	ErrConfiguration      = &Fault{Code: 1021} // ConfigurationError
	ErrLiveMedia          = &Fault{Code: 1022} // LiveMediaError
	ErrGSSAPIAuth         = &Fault{Code: 1023} // GSSAPIAuthError (an AuthError)
	ErrNameValidation     = &Fault{Code: 1024} // NameValidationError
)

var faultParent = map[int]int{
	1001: 1000, 1002: 1000, 1003: 1000, 1004: 1000, 1005: 1000,
	1006: 1002, 1007: 1002, 1008: 1002, 1009: 1002,
	1010: 1005, 1011: 1005, 1012: 1005,
	1013: 1000, 1014: 1000, 1015: 1000, 1016: 1000, 1017: 1016, 1018: 1000,
	1019: 1000, 1020: 1000, 1021: 1000, 1022: 1000, 1023: 1002, 1024: 1000,
}

var faultNames = map[int]string{
	1: "Fault", 1000: "GenericError", 1001: "LockError", 1002: "AuthError", 1003: "TagError",
	1004: "ActionNotAllowed", 1005: "BuildError", 1006: "AuthLockError", 1007: "AuthExpired",
	1008: "SequenceError", 1009: "RetryError", 1010: "PreBuildError", 1011: "PostBuildError",
	1012: "BuildrootError", 1013: "FunctionDeprecated", 1014: "ServerOffline", 1015: "LiveCDError",
	1016: "PluginError", 1017: "CallbackError", 1018: "ApplianceError", 1019: "ParameterError",
	1020: "ImportError", 1021: "ConfigurationError", 1022: "LiveMediaError",
	1023: "GSSAPIAuthError", 1024: "NameValidationError",
}

// FaultName returns koji's exception class name for a fault code, or "" if
// the code is unknown.
func FaultName(code int) string { return faultNames[code] }

func toFault(method string, f *xmlrpcx.Fault) *Fault {
	return &Fault{Method: method, Code: f.Code, Message: f.Message, Traceback: f.Traceback}
}

// notFound wraps ErrNotFound with what was looked up.
func notFound(what string, ref any) error {
	return fmt.Errorf("%w: %s %v", ErrNotFound, what, ref)
}
