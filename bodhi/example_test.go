package bodhi_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/bodhi/bodhitest"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// Example lists releases anonymously and reads an unknown update, whose
// refusal is an *bodhi.Error matching ErrNotFound.
func Example() {
	ctx := context.Background()
	hub := kojitest.NewServer()
	defer hub.Close()
	kc, _ := koji.NewClient(hub.URL())
	srv := bodhitest.New(kc)
	defer srv.Close()

	c, err := bodhi.NewClient(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	page, err := c.ListReleases(ctx, &bodhi.ReleaseListOptions{State: []string{"current"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("releases:", page.Total)
	_, err = c.GetUpdate(ctx, "FEDORA-MODULAR-2017-0123456789")
	var e *bodhi.Error
	if errors.As(err, &e) {
		fmt.Println(e.StatusCode, e.Errors[0].Location, e.Errors[0].Name, errors.Is(err, bodhi.ErrNotFound))
	}
	// Output:
	// releases: 0
	// 404 url id true
}

// ExampleWithTokenSource shows a client that logs in with OIDC access
// tokens before its first write.
func ExampleWithTokenSource() {
	c, err := bodhi.NewClient("https://bodhi.example.org/",
		bodhi.WithTokenSource(bodhi.TokenFunc(func(ctx context.Context) (string, error) {
			return "access-token-from-your-oidc-flow", nil
		})))
	fmt.Println(err, c.LoggedIn())
	// Output: <nil> false
}
