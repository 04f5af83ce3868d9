"""Mail and the links it carries: signed capability links (links), the SMTP mailer, MIME messages."""
