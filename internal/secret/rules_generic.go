package secret

// generic builds an assignment rule for identifiers that name a secret. It
// is the noisiest kind of rule, so the value must be long, have high
// entropy, not be a placeholder and not look like code.
func generic(id, title string, min int, ctx ...string) def {
	return def{id: id, title: title, sev: med, context: ctx,
		value: `[A-Za-z0-9!@#%^&*+=_.~/\-]{` + itoa(min) + `,150}`, entropy: 3.5, check: notCode, generic: true,
		rationale: "A high-entropy value assigned to a variable named like a credential is very likely a real secret."}
}

var genericDefs = []def{
	generic("generic-password", "Hard-coded password", 8, "password", "passwd", "pwd"),
	generic("generic-secret", "Hard-coded secret", 10, "secret"),
	generic("generic-token", "Hard-coded token", 12, "token"),
	generic("generic-api-key", "Hard-coded API key", 12, "api_key", "apikey", "api-key", "access_key", "accesskey", "access-key", "private_key", "privatekey", "private key", "client_secret"),
	generic("generic-passphrase", "Hard-coded key passphrase", 8, "passphrase"),
}
