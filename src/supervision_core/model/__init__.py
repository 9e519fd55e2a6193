"""Values and enums of the domain: immutable, no I/O."""
