"""Environment variables: what names mean, what .env files hold, and every place the code reads them."""
