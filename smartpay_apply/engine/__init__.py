"""The engine: observe (I/O), decide (pure), apply (I/O), and the plain-data plan between them."""
