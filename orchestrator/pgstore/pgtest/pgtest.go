// Package pgtest gives tests a fresh PostgreSQL database on the server named
// by MODKIT_TEST_PG_URL (a superuser URL; hack/pg.sh starts a private
// server and prints it). Without the variable the test is skipped, or fails
// under MODKIT_REQUIRE_TOOLS=1.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modkit/modkit/internal/testenv"
)

// EnvURL is the environment variable naming the test server.
const EnvURL = "MODKIT_TEST_PG_URL"

// ServerURL returns MODKIT_TEST_PG_URL, skipping tb when it is unset.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		testenv.SkipOrFatal(tb, "%s is not set (a PostgreSQL superuser URL; eval \"$(hack/pg.sh up DIR)\" starts one)", EnvURL)
	}
	return u
}

// NewDatabase creates an empty database with a unique name and returns its
// URL; the database is dropped when the test ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	server := ServerURL(tb)
	var b [6]byte
	rand.Read(b[:])
	name := "modkit_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		tb.Fatalf("pgtest: connect to %s: %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			tb.Logf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("pgtest: %s must be a postgres:// URL", EnvURL)
	}
	u.Path = "/" + name
	return u.String()
}
