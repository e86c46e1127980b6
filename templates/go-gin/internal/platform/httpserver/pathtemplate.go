package httpserver

import "strings"

// Route templates are written the OpenTelemetry way, /v1/hello/{name} (axum's syntax too), in
// the contract, in logs and in traces. gin spells them /v1/hello/:name; these two functions
// translate, segment by segment. A trailing catch-all is {*rest} in one and *rest in the other.

// ginPath turns a route template into gin's syntax.
func ginPath(template string) string {
	segments := strings.Split(template, "/")
	for i, segment := range segments {
		name, ok := strings.CutPrefix(segment, "{")
		if !ok {
			continue
		}
		name, ok = strings.CutSuffix(name, "}")
		if !ok {
			continue
		}
		if rest, catchAll := strings.CutPrefix(name, "*"); catchAll {
			segments[i] = "*" + rest
		} else {
			segments[i] = ":" + name
		}
	}
	return strings.Join(segments, "/")
}

// routeTemplate turns gin's c.FullPath() back into a route template; "" stays "" (no route).
func routeTemplate(fullPath string) string {
	segments := strings.Split(fullPath, "/")
	for i, segment := range segments {
		if name, ok := strings.CutPrefix(segment, ":"); ok {
			segments[i] = "{" + name + "}"
		} else if rest, ok := strings.CutPrefix(segment, "*"); ok {
			segments[i] = "{*" + rest + "}"
		}
	}
	return strings.Join(segments, "/")
}
