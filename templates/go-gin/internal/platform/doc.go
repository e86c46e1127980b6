// Package platform holds nothing itself: its subpackages are the code the template owns (the HTTP
// server and its middleware, configuration, telemetry, problems, the contract's values). scaffold
// update brings the template's changes to them, and scaffold check flags any edit made here, so
// put the service's own code in internal/app instead.
package platform
