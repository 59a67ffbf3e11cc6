package checks

// CredentialIn explains why a value named name is a literal credential (a
// known token format, a credential-named key with a literal value, a
// configuration file holding one), or returns "". The explanation never
// contains the value. The audit detectors judge ConfigMaps with it.
func CredentialIn(name, value string) string { return credentialIn(name, value) }
