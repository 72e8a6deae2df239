"""The store protocol and the types that cross it."""
