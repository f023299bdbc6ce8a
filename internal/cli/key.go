package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/redline-sec/redline/internal/sign/key"
)

func newKeyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Create signing keys and print public keys (cosign-compatible)",
		Long: `Keys sign and verify images and attestations. A key reference (--key REF)
is one of:

  path/to/cosign.key                      an encrypted key file in cosign's format
                                          ("ENCRYPTED SIGSTORE PRIVATE KEY"), or an
                                          unencrypted PKCS#8 / EC / RSA PEM file
  path/to/cosign.pub                      a PEM public key (verification only)
  pkcs11:token=T;object=K?pin-source=F    a key on a PKCS#11 token or HSM (RFC 7512 URI;
                                          module-path=… or $REDLINE_PKCS11_MODULE names
                                          the module, SoftHSM2 is found by default)
  awskms://[ENDPOINT]/KEY-ID|ALIAS        AWS KMS
  gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/versions/V]
  azurekms://VAULT.vault.azure.net/KEY    Azure Key Vault
  hashivault://KEY                        HashiCorp Vault transit ($VAULT_ADDR, $VAULT_TOKEN)

Key files are interchangeable with cosign's: keys from 'cosign generate-key-pair'
load in Redline and keys from 'redline key generate' load in cosign. The
password of an encrypted key comes from $REDLINE_PASSWORD, else
$COSIGN_PASSWORD (set but empty means the empty password), else a prompt on
the terminal. Supported keys: ECDSA P-256/P-384/P-521, RSA of 2048 bits or
more, Ed25519. Signatures use SHA-256, as cosign's do.`,
	}
	cmd.AddCommand(newKeyGenerateCmd(g), newKeyPublicCmd(g))
	return cmd
}

// keyGenerateOptions are the flags of 'redline key generate'.
type keyGenerateOptions struct {
	prefix string
	force  bool
}

func newKeyGenerateCmd(g *globals) *cobra.Command {
	var o keyGenerateOptions
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write a new ECDSA P-256 key pair, encrypted in cosign's format",
		Long: `Generate writes a new ECDSA P-256 key pair:

  <prefix>.key   the private key, encrypted with a password (scrypt + NaCl
                 secretbox, cosign's "ENCRYPTED SIGSTORE PRIVATE KEY"), mode 0600
  <prefix>.pub   the public key (PEM "PUBLIC KEY"), to give to verifiers

The password comes from $REDLINE_PASSWORD or $COSIGN_PASSWORD when set (an
empty value means the empty password), else it is asked twice on the
terminal. Existing files are never replaced unless --force is given.

For keys that must never leave hardware or a cloud account, create the key
in the HSM or KMS instead and pass its pkcs11: URI or KMS reference as --key.`,
		Example: `  redline key generate                                 # redline.key, redline.pub
  redline key generate --output-key-prefix ci/release  # ci/release.key, ci/release.pub
  REDLINE_PASSWORD="$(cat /run/secrets/pw)" redline key generate --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeyGenerate(g, o)
		},
	}
	cmd.Flags().StringVar(&o.prefix, "output-key-prefix", "redline", "write <prefix>.key and <prefix>.pub")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace existing key files")
	return cmd
}

func runKeyGenerate(g *globals, o keyGenerateOptions) error {
	if o.prefix == "" {
		return usageErr(fmt.Errorf("--output-key-prefix must not be empty"))
	}
	priv, err := key.GenerateECDSA()
	if err != nil {
		return err
	}
	password, err := key.EnvOrPromptOn(g.stdin, g.stderr)(true)
	if err != nil {
		return fmt.Errorf("key password: %w", err)
	}
	defer clear(password)
	files, err := key.WriteKeyPair(o.prefix, priv, password, o.force)
	if err != nil {
		return err
	}
	if !g.quiet {
		if len(password) == 0 {
			fmt.Fprintln(g.stderr, "warning: the private key is encrypted with an empty password")
		}
		fmt.Fprintf(g.stderr, "Private key written to %s\nPublic key written to %s\n", files.PrivateKey, files.PublicKey)
	}
	return nil
}

// keyPublicOptions are the flags of 'redline key public'.
type keyPublicOptions struct {
	ref    string
	output string
}

func newKeyPublicCmd(g *globals) *cobra.Command {
	var o keyPublicOptions
	cmd := &cobra.Command{
		Use:   "public --key REF",
		Short: "Print the public key of a key file, PKCS#11 key or KMS key",
		Long: `Public prints the PEM public key ("PUBLIC KEY", PKIX) of any key reference:
an encrypted or plain key file, a public key file, a pkcs11: URI or a KMS
reference. Give the result to whoever verifies: 'redline verify --key
FILE.pub' and 'cosign verify --key FILE.pub' both take it.

An encrypted key file needs its password ($REDLINE_PASSWORD,
$COSIGN_PASSWORD or the terminal); a PKCS#11 key needs the PIN in its URI
(pin-value or pin-source); a KMS key needs that cloud's usual credentials.
See 'redline key --help' for the forms of REF.`,
		Example: `  redline key public --key cosign.key > cosign.pub
  redline key public --key 'pkcs11:token=signing;object=release?pin-source=/run/secrets/pin' -o release.pub
  redline key public --key awskms:///alias/release-signing`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.ref == "" {
				return usageErr(fmt.Errorf("--key is required"))
			}
			pub, err := key.PublicKey(cmd.Context(), o.ref, key.EnvOrPromptOn(g.stdin, g.stderr))
			if err != nil {
				return err
			}
			pemBytes, err := key.PublicKeyPEM(pub)
			if err != nil {
				return err
			}
			return writeOutput(o.output, g.stdout, func(w io.Writer) error {
				_, err := w.Write(pemBytes)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&o.ref, "key", "", "key reference: file, pkcs11: URI or KMS reference (required)")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write the public key to this file instead of standard output")
	return cmd
}
