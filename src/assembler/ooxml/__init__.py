"""Every read and write of a .docx package: parts, paragraphs, text, styles, numbering, the base template."""
