package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/distill-dev/distill/internal/sign"
)

// passwordEnv are the environment variables a key password is read from,
// in order (COSIGN_PASSWORD as the cosign CLI reads it).
var passwordEnv = []string{"DISTILL_SIGN_PASSWORD", "COSIGN_PASSWORD"}

// password returns how the password of a signing key is read: from stdin
// (--password-stdin), from $DISTILL_SIGN_PASSWORD or $COSIGN_PASSWORD, else
// by a prompt on the terminal. Never from a flag value: other users of the
// machine see command lines.
func password(cmd *cobra.Command, fromStdin bool, prompt string, confirm bool) sign.PassFunc {
	return func() ([]byte, error) {
		if fromStdin {
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadBytes('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("reading the password from stdin: %w", err)
			}
			return bytes.TrimRight(line, "\r\n"), nil
		}
		for _, name := range passwordEnv {
			if v, ok := os.LookupEnv(name); ok {
				return []byte(v), nil
			}
		}
		fd := int(os.Stdin.Fd())
		if !term.IsTerminal(fd) {
			return nil, fmt.Errorf("no password for the key: set DISTILL_SIGN_PASSWORD (or COSIGN_PASSWORD; empty for none) or pass --password-stdin")
		}
		fmt.Fprintf(os.Stderr, "%s: ", prompt)
		pw, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil || !confirm {
			return pw, err
		}
		fmt.Fprint(os.Stderr, "Again: ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(pw, again) {
			return nil, errors.New("the passwords differ")
		}
		return pw, nil
	}
}

func newSignCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Signing keys (distill build --sign signs and attests what it pushes)",
		Long: `distill build --push REF --sign signs the image before it is pushed — the
index and each platform image — and attaches its SBOMs (CycloneDX, SPDX),
vulnerability report and SLSA provenance as signed in-toto attestations, in
cosign's format: the cosign CLI verifies them, and so does distill verify.

Keys are cosign keys: a file (distill sign keygen or cosign generate-key-pair),
env://VAR (the PEM in a variable) or a KMS URI. Keyless signing (--keyless)
uses the CI job's OIDC identity, Fulcio and Rekor instead.`,
		Example: `  distill sign keygen
  COSIGN_PASSWORD=… distill build --push 127.0.0.1:5000/app:v1 --sign --key cosign.key
  distill verify 127.0.0.1:5000/app:v1 --key cosign.pub`,
	}
	cmd.AddCommand(newKeygenCmd())
	return cmd
}

func newKeygenCmd() *cobra.Command {
	var prefix string
	var fromStdin, force bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make a cosign-compatible signing key pair (PREFIX.key, encrypted, and PREFIX.pub)",
		Long: `Writes an ECDSA P-256 key pair in cosign's format: PREFIX.key, encrypted with a
password (scrypt + secretbox), and PREFIX.pub. The cosign CLI accepts both.

The password comes from $DISTILL_SIGN_PASSWORD or $COSIGN_PASSWORD, from stdin
with --password-stdin, or from a prompt — never from a flag.`,
		Example: `  distill sign keygen                          # cosign.key, cosign.pub; asks for a password
  distill sign keygen --output-key-prefix ci/release
  pass show release-key | distill sign keygen --password-stdin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			privPath, pubPath := prefix+".key", prefix+".pub"
			if !force {
				for _, p := range []string{privPath, pubPath} {
					if _, err := os.Stat(p); err == nil {
						return fmt.Errorf("%s exists: keep it, or pass --force to replace it", p)
					}
				}
			}
			pw, err := password(cmd, fromStdin, "Password for the new key", true)()
			if err != nil {
				return err
			}
			defer clear(pw)
			priv, pub, err := sign.GenerateKeyPair(pw)
			if err != nil {
				return err
			}
			if err := os.WriteFile(privPath, priv, 0o600); err != nil {
				return err
			}
			if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "private key\t%s (encrypted; keep it secret)\npublic key\t%s\n", privPath, pubPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "output-key-prefix", "cosign", "write PREFIX.key and PREFIX.pub")
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing key files")
	return cmd
}
