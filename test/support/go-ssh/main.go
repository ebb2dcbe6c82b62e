// A minimal client on golang.org/x/crypto/ssh, set up like Rosti's Go CLI: one
// private key through ssh.PublicKeys and the CLI's cipher list. It runs one
// command, copies its output and exits with its exit status (255 when it cannot
// connect or log in, like OpenSSH's ssh). Built offline by the tests against
// Debian's golang-golang-x-crypto-dev (GOPATH=/usr/share/gocode, GO111MODULE=off).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// sha1Signer hides the key's AlgorithmSigner side, as signers written before
// RSA SHA-2 support did: x/crypto then signs RSA with ssh-rsa (SHA-1) whatever
// the server offers, which lets the tests see the gateway refuse it.
type sha1Signer struct{ signer ssh.Signer }

func (s sha1Signer) PublicKey() ssh.PublicKey { return s.signer.PublicKey() }
func (s sha1Signer) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return s.signer.Sign(rand, data)
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go-ssh: "+format+"\n", args...)
	os.Exit(255)
}

func main() {
	addr := flag.String("addr", "", "host:port of the SSH endpoint")
	user := flag.String("user", "app", "user to log in as")
	keyPath := flag.String("key", "", "unencrypted private key file")
	hostKeyLine := flag.String("host-key", "", "the server's host key, as a known_hosts/authorized_keys line")
	legacySha1 := flag.Bool("sha1", false, "sign with ssh-rsa (SHA-1), as old clients did")
	flag.Parse()

	pem, err := os.ReadFile(*keyPath)
	if err != nil {
		fail("%v", err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		fail("key: %v", err)
	}
	if *legacySha1 {
		signer = sha1Signer{signer}
	}
	hostKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*hostKeyLine))
	if err != nil {
		fail("host key: %v", err)
	}

	config := &ssh.ClientConfig{
		User:            *user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(hostKey),
		Timeout:         10 * time.Second,
		Config: ssh.Config{
			Ciphers: []string{"aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com"},
		},
	}
	conn, err := net.DialTimeout("tcp", *addr, config.Timeout)
	if err != nil {
		fail("%v", err)
	}
	// The whole exchange is bounded: a stuck handshake must not hang a test.
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	sshConn, chans, reqs, err := ssh.NewClientConn(conn, *addr, config)
	if err != nil {
		fail("%v", err)
	}
	client := ssh.NewClient(sshConn, chans, reqs)
	defer client.Close()

	session, err := client.NewSession()
	if err != nil {
		fail("session: %v", err)
	}
	session.Stdout = os.Stdout
	session.Stderr = os.Stderr
	err = session.Run(strings.Join(flag.Args(), " "))
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitStatus())
	} else if err != nil {
		fail("run: %v", err)
	}
}
