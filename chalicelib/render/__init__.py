"""Documents drawn from invoices: the QR code (matrix, SVG) and the A4 PDF.

Each module imports its drawing library inside its functions, so importing this package
at cold start costs nothing; the first render pays for `qrcode` or `fpdf2`.
"""
