// A program outside the repository that uses the installed layer-identity through the Go
// module (test.sh copies it into a temporary module whose go.mod has a replace line, and
// builds it against `make install`'s pkg-config files, shared and static).
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/layerhq/layer-identity/bindings/go/layeridentity"
)

const (
	providerID = "layer:///providers/7d1c2f4e-56b1-11e5-a0e4-5a0b0c0d0e0f"
	keyID      = "layer:///keys/0f1e2d3c-56b1-11e5-a0e4-5a0b0c0d0e0f"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
}

func run() error {
	private, public, err := layeridentity.GenerateKeyPair(2048)
	if err != nil {
		return err
	}
	signer, err := layeridentity.NewSigner(private, providerID, keyID)
	if err != nil {
		return err
	}
	defer signer.Close()
	token, err := signer.SignWith("installed-user", "n-1", layeridentity.SignOptions{DisplayName: "Installed"})
	if err != nil {
		return err
	}
	verifier, err := layeridentity.NewVerifier(public, providerID, keyID)
	if err != nil {
		return err
	}
	defer verifier.Close()
	claims, err := verifier.Verify(token, layeridentity.VerifyOptions{Nonce: "n-1"})
	if err != nil {
		return err
	}
	if _, err := verifier.Verify(token, layeridentity.VerifyOptions{Nonce: "other"}); !errors.Is(err, layeridentity.ErrClaimMismatch) {
		return fmt.Errorf("a wrong nonce gave %v", err)
	}
	fmt.Printf("layer-identity %s (ABI %d): %s %s verified\n", layeridentity.Version(), layeridentity.ABIVersion(),
		claims.UserID, claims.DisplayName)
	return nil
}
