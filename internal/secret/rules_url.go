package secret

// dbURL builds a rule for a URL scheme whose userinfo holds a password.
func dbURL(id, title, scheme string, kws ...string) def {
	return def{id: id, title: title, sev: crit, keywords: kws,
		regex: `(?i:` + scheme + `)://[^:@/\s"'<>]*:([^@/\s"'<>]{3,128})@[^\s"'<>/]+`,
		stop:  stopwords, check: notPlaceholder}
}

var urlDefs = []def{
	dbURL("postgres-url-password", "PostgreSQL connection URL with a password", `postgres(?:ql)?`, "postgres"),
	dbURL("mysql-url-password", "MySQL connection URL with a password", `mysql(?:x)?`, "mysql"),
	dbURL("mongodb-url-password", "MongoDB connection URL with a password", `mongodb(?:\+srv)?`, "mongodb"),
	dbURL("redis-url-password", "Redis connection URL with a password", `rediss?`, "redis"),
	dbURL("amqp-url-password", "AMQP (RabbitMQ) connection URL with a password", `amqps?`, "amqp"),
	dbURL("sqlserver-url-password", "SQL Server connection URL with a password", `sqlserver|mssql`, "sqlserver", "mssql"),
	{id: "jdbc-url-password", title: "JDBC URL with a password parameter", sev: crit, keywords: []string{"jdbc:"},
		regex: `(?i)jdbc:[a-z0-9]+:[^\s"']*?[?;&]password=([^&;\s"']{3,128})`, stop: stopwords, check: notPlaceholder},
	{id: "url-basic-auth", title: "Credentials in a URL", sev: high, keywords: []string{"://"},
		regex: `\b((?i:https?|ftps?|sftp|ssh|git|svn|ldaps?|smtps?|imaps?|nats|kafka|ws|wss))://[^:@/\s"'<>]{1,64}:([^@/\s"'<>]{3,128})@[A-Za-z0-9.\-]+`,
		group: 2, stop: stopwords, check: notPlaceholder},
	{id: "curl-basic-auth", title: "curl command with user credentials", sev: high, keywords: []string{"curl"},
		regex: `\bcurl\b[^\n]{0,200}?\s(?:-u|--user)[ =]["']?[^:'"\s]+:([^'"\s]{3,128})`, stop: stopwords, check: notPlaceholder},
	{id: "http-authorization-header", title: "HTTP Authorization header with credentials", sev: high, keywords: []string{"authorization"},
		regex:   `(?i:authorization)["']?[ \t]*[:=][ \t]*["']?(?i:bearer|token|basic)[ \t]+([A-Za-z0-9._~+/\-]{20,}=*)`,
		entropy: 3.5, stop: stopwords},
}
