"""Documents a center hands in or prints: workbooks, PDF and DOCX."""
