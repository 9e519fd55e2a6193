"""The domain's rules as plain functions over values, testable without a database."""
