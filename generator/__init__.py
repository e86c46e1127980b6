"""scaffold: generate Go (gin) and Rust (axum) services that keep one platform contract."""

__version__ = "0.1.0"
