package secret

import "github.com/redline-sec/redline/internal/finding"

// pem builds the rule for one PEM armour label. The secret is the armoured body.
func pem(id, title, label string, sev1 finding.Severity) def {
	kw := "-----begin " + lower(label)
	return def{id: id, title: title, sev: sev1, keywords: []string{kw}, wholeFile: true,
		regex: `-----BEGIN ` + label + `-----((?:[^-]|-[^-]){64,}?)-----END ` + label + `-----`,
		check: hasKeyBody, inBinary: true,
		refs: []string{"https://www.rfc-editor.org/rfc/rfc7468"}}
}

var keyDefs = []def{
	pem("private-key-rsa", "RSA private key", "RSA PRIVATE KEY", crit),
	pem("private-key-ec", "EC private key", "EC PRIVATE KEY", crit),
	pem("private-key-dsa", "DSA private key", "DSA PRIVATE KEY", crit),
	pem("private-key-openssh", "OpenSSH private key", "OPENSSH PRIVATE KEY", crit),
	pem("private-key-pkcs8", "PKCS#8 private key", "PRIVATE KEY", crit),
	pem("private-key-encrypted", "Encrypted PKCS#8 private key", "ENCRYPTED PRIVATE KEY", med),
	pem("private-key-pgp", "PGP private key block", "PGP PRIVATE KEY BLOCK", crit),
	pem("private-key-ssh2", "SSH2 (SECSH) encrypted private key", "SSH2 ENCRYPTED PRIVATE KEY", high),
	{id: "private-key-putty", title: "PuTTY private key", sev: crit, keywords: []string{"putty-user-key-file-"}, wholeFile: true,
		regex: `PuTTY-User-Key-File-[23]: [\w\-]+\r?\n(?s:.){0,300}?Private-Lines: \d+\r?\n([A-Za-z0-9+/=\r\n]{64,})`},
	{id: "pkcs12-file", title: "PKCS#12 key store file (.p12/.pfx)", sev: high, paths: []string{"**/*.p12", "**/*.pfx"},
		rationale: "A PKCS#12 bundle holds a private key with its certificate chain, often with a weak or empty password."},
	{id: "java-keystore-file", title: "Java key store file (.jks/.keystore)", sev: med, paths: []string{"**/*.jks", "**/*.keystore"},
		rationale: "A Java key store usually holds private keys protected by a password that is often left at its default."},
	{id: "jwt", title: "JSON Web Token", sev: med, keywords: []string{"eyj"},
		regex: leftEdge + `(eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,})`, check: isJWT,
		refs: []string{"https://www.rfc-editor.org/rfc/rfc7519"}},
	{id: "kubeconfig-client-key", title: "Client private key embedded in a kubeconfig", sev: crit, keywords: []string{"client-key-data"},
		regex: `client-key-data:[ \t]*["']?([A-Za-z0-9+/=]{100,})`},
	{id: "kubernetes-secret-manifest", title: "Kubernetes Secret manifest with data", sev: high,
		keywords:  []string{"kind: secret", `"kind": "secret"`, `"kind":"secret"`, `kind: "secret"`, "kind: 'secret'"},
		wholeFile: true, find: findKubernetesSecrets,
		refs:      []string{"https://kubernetes.io/docs/concepts/configuration/secret/"},
		rationale: "Secret values in a manifest are only base64-encoded: anyone who can read the repository or image can decode them."},
}
