package httpserver

import "testing"

func TestRouteTemplateTranslation(t *testing.T) {
	tests := []struct{ template, gin string }{
		{"/livez", "/livez"},
		{"/v1/hello/{name}", "/v1/hello/:name"},
		{"/v1/orders/{id}/items/{item}", "/v1/orders/:id/items/:item"},
		{"/static/{*path}", "/static/*path"},
	}
	for _, tt := range tests {
		if got := ginPath(tt.template); got != tt.gin {
			t.Errorf("ginPath(%q) = %q, want %q", tt.template, got, tt.gin)
		}
		if got := routeTemplate(tt.gin); got != tt.template {
			t.Errorf("routeTemplate(%q) = %q, want %q", tt.gin, got, tt.template)
		}
	}
	if got := routeTemplate(""); got != "" {
		t.Errorf(`routeTemplate("") = %q, want ""`, got)
	}
}
