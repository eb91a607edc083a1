DROP TABLE auth.email_verification_tokens;
DROP TABLE auth.refresh_tokens;
