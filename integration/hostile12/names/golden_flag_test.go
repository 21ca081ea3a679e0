package names

// Accept -update, as every test package of the module does (see internal/golden).
import _ "github.com/statekit/statekit/internal/golden"
