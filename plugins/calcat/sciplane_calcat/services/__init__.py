"""The catalogue's logic, free of HTTP: model declarations and the code that reads and writes them."""
