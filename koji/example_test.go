package koji_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// exampleHub starts an in-process hub and a logged-in admin client.
func exampleHub() (*kojitest.Hub, *koji.Client) {
	hub := kojitest.NewServer(kojitest.WithBuilder(kojitest.AutoComplete))
	c, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(hub.Client()),
		koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}),
		koji.WithPollInterval(1e6))
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Login(context.Background()); err != nil {
		log.Fatal(err)
	}
	return hub, c
}

func ExampleNewClient() {
	hub, _ := exampleHub()
	defer hub.Close()

	c, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(hub.Client()), koji.WithUserAgent("example/1"))
	if err != nil {
		log.Fatal(err)
	}
	v, err := c.GetKojiVersion(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("hub version:", v)
	// Output: hub version: 1.35.3
}

func ExampleClient_GetTag() {
	hub, c := exampleHub()
	defer hub.Close()
	ctx := context.Background()

	if _, err := c.CreateTag(ctx, "f42-build", &koji.CreateTagOptions{Arches: []string{"x86_64", "aarch64"}}); err != nil {
		log.Fatal(err)
	}
	tag, err := c.GetTag(ctx, koji.Name("f42-build"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tag.Name, tag.ArchList())
	// Output: f42-build [x86_64 aarch64]
}

func ExampleClient_WaitTask() {
	hub, c := exampleHub()
	defer hub.Close()
	ctx := context.Background()

	_, _ = c.CreateTag(ctx, "f42-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}})
	_, _ = c.CreateTag(ctx, "f42", nil)
	_ = c.CreateTarget(ctx, "f42", koji.Name("f42-build"), koji.Name("f42"))
	_ = c.AddPackage(ctx, koji.Name("f42"), "hello", &koji.AddPackageOptions{Owner: kojitest.AdminUser})

	id, err := c.Build(ctx, "git+https://src.example.org/rpms/hello.git#0123abc", "f42", nil)
	if err != nil {
		log.Fatal(err)
	}
	task, err := c.WaitTask(ctx, id, nil)
	if err != nil {
		log.Fatal(err)
	}
	latest, _ := c.GetLatestBuilds(ctx, koji.Name("f42"), nil)
	fmt.Println(task.State, latest[0].NVR)
	// Output: CLOSED hello-1.0-1
}

func ExampleMulticall() {
	hub, c := exampleHub()
	defer hub.Close()
	ctx := context.Background()

	mc := c.NewMulticall()
	tag := mc.GetTag(koji.Name("missing"), nil)
	version := mc.Call("getAPIVersion")
	if err := mc.Do(ctx, nil); err != nil {
		log.Fatal(err)
	}
	_, err := tag.Result()
	v, _ := version.Result()
	fmt.Println(err)
	fmt.Println(v)
	// Output:
	// koji: not found: tag "missing"
	// 1
}

func ExampleMulticallEach() {
	hub, c := exampleHub()
	defer hub.Close()
	ctx := context.Background()
	for _, name := range []string{"base", "updates"} {
		if _, err := c.CreateTag(ctx, name, nil); err != nil {
			log.Fatal(err)
		}
	}

	// Only the members read; kolo/xmlrpc fills the rows straight from the
	// hub's answer.
	type tagRow struct {
		ID     int64  `xmlrpc:"id"`
		Name   string `xmlrpc:"name"`
		Locked bool   `xmlrpc:"locked"`
	}
	args := [][]any{{"base"}, {"updates"}}
	rows := make([]tagRow, len(args))
	if err := koji.MulticallEach(ctx, c, "getTag", args, rows, &koji.MulticallOptions{BatchSize: 400}); err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Println(r.Name, r.Locked)
	}
	// Output:
	// base false
	// updates false
}

func ExampleFault() {
	hub, c := exampleHub()
	defer hub.Close()

	err := c.Call(context.Background(), "getTag", nil, "x", koji.Kwargs{"bogus": true})
	var f *koji.Fault
	if errors.As(err, &f) {
		fmt.Println(f.Code, koji.FaultName(f.Code))
	}
	// Output: 1019 ParameterError
}
