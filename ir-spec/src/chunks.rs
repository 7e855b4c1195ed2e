//! Chunk specs (`100`, `[[50, 50], [30, 70]]`, `"auto"`) normalized against a shape.
