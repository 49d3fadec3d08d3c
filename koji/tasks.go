package koji

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/retry"
)

// TaskState is a task's state (koji TASK_STATES).
type TaskState int

// Task states.
const (
	TaskFree     TaskState = 0
	TaskOpen     TaskState = 1
	TaskClosed   TaskState = 2
	TaskCanceled TaskState = 3
	TaskAssigned TaskState = 4
	TaskFailed   TaskState = 5
)

var taskStateNames = []string{"FREE", "OPEN", "CLOSED", "CANCELED", "ASSIGNED", "FAILED"}

// String returns koji's name for the state.
func (s TaskState) String() string {
	if s >= 0 && int(s) < len(taskStateNames) {
		return taskStateNames[s]
	}
	return fmt.Sprintf("TaskState(%d)", int(s))
}

// Finished reports CLOSED, CANCELED and FAILED.
func (s TaskState) Finished() bool {
	return s == TaskClosed || s == TaskCanceled || s == TaskFailed
}

// Task is a hub task (getTaskInfo).
type Task struct {
	ID             int64     `xmlrpc:"id"`
	Method         string    `xmlrpc:"method"`
	State          TaskState `xmlrpc:"state"`
	Owner          int64     `xmlrpc:"owner"`
	Parent         *int64    `xmlrpc:"parent"`
	HostID         *int64    `xmlrpc:"host_id"`
	Arch           string    `xmlrpc:"arch"`
	Priority       int       `xmlrpc:"priority"`
	Label          string    `xmlrpc:"label"`
	CreateTime     time.Time `xmlrpc:"create_ts,create_time"`
	StartTime      time.Time `xmlrpc:"start_ts,start_time"`
	CompletionTime time.Time `xmlrpc:"completion_ts,completion_time"`
	Request        []any     `xmlrpc:"request"` // with GetTaskOptions.Request
}

// BuildOptions are optional arguments of Build.
type BuildOptions struct {
	Scratch      bool
	SkipTag      bool     // do not tag into the target's destination tag
	ArchOverride []string // limit arches (scratch builds, or hubs that allow it)
	RepoID       int64    // build against this repo
	WaitBuilds   []string // NVRs the buildroot repo must contain
	Draft        bool
	// Extra holds further opts stored in the task request, e.g. MBS's
	// mbs_artifact_name and mbs_module_target.
	Extra    map[string]any
	Priority *int   // lower is sooner; negative needs admin
	Channel  string // builder channel
}

// Build submits a build of an SCM URL (e.g.
// "git+https://src.example.org/rpms/foo.git#<commit>") into target and
// returns the task id. The hub does not check the URL or target at submit
// time; the task fails later if they are wrong.
func (c *Client) Build(ctx context.Context, src, target string, opts *BuildOptions) (int64, error) {
	k := Kwargs{}
	bo := map[string]any{}
	if opts != nil {
		for key, v := range opts.Extra {
			bo[key] = v
		}
		setIf(bo, opts.Scratch, "scratch", true)
		setIf(bo, opts.SkipTag, "skip_tag", true)
		setIf(bo, len(opts.ArchOverride) > 0, "arch_override", strings.Join(opts.ArchOverride, " "))
		setIf(bo, opts.RepoID != 0, "repo_id", opts.RepoID)
		setIf(bo, opts.WaitBuilds != nil, "wait_builds", opts.WaitBuilds)
		setIf(bo, opts.Draft, "draft", true)
		if opts.Priority != nil {
			k["priority"] = *opts.Priority
		}
		setIf(k, opts.Channel != "", "channel", opts.Channel)
	}
	if len(bo) > 0 {
		k["opts"] = bo
	}
	var id int64
	return id, c.call(ctx, "build", &id, []any{src, target}, k)
}

// GetTaskOptions are optional arguments of GetTaskInfo and GetTaskChildren.
type GetTaskOptions struct {
	Request bool // include the decoded task request
}

// GetTaskInfo returns a task; ErrNotFound if it does not exist.
func (c *Client) GetTaskInfo(ctx context.Context, id int64, opts *GetTaskOptions) (*Task, error) {
	s := getTaskSpec(id)
	if opts != nil && opts.Request {
		s.kw = Kwargs{"request": true}
	}
	return runSpec(ctx, c, s)
}

func getTaskSpec(id int64) spec[*Task] {
	return spec[*Task]{method: "getTaskInfo", args: []any{id}, conv: required[Task]("task", ID(id))}
}

// GetTaskChildren returns a task's subtasks.
func (c *Client) GetTaskChildren(ctx context.Context, id int64, opts *GetTaskOptions) ([]Task, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Request, "request", true)
	}
	var ts []Task
	return ts, c.call(ctx, "getTaskChildren", &ts, []any{id}, k)
}

// GetTaskResult returns a finished task's result as a value tree. For a
// failed task the error is the task's fault (e.g. a BuildError *Fault);
// for an unfinished or canceled task it is a GenericError fault.
func (c *Client) GetTaskResult(ctx context.Context, id int64) (any, error) {
	return c.do(ctx, "getTaskResult", []any{id}, callOpts{})
}

// CancelTask cancels a task and, unless noRecurse, its subtasks.
func (c *Client) CancelTask(ctx context.Context, id int64, noRecurse bool) error {
	k := Kwargs{}
	setIf(k, noRecurse, "recurse", false)
	return c.call(ctx, "cancelTask", nil, []any{id}, k)
}

// TaskError reports a task that ended FAILED or CANCELED. It matches
// ErrTaskFailed or ErrTaskCanceled, and unwraps to the task's fault.
type TaskError struct {
	Task  *Task
	Fault error // the task's result fault, if it could be read
}

// Error implements error.
func (e *TaskError) Error() string {
	msg := fmt.Sprintf("koji: task %d (%s) %s", e.Task.ID, e.Task.Method, e.Task.State)
	if e.Fault != nil {
		msg += ": " + e.Fault.Error()
	}
	return msg
}

// Is matches ErrTaskFailed and ErrTaskCanceled.
func (e *TaskError) Is(target error) bool {
	return (target == ErrTaskFailed && e.Task.State == TaskFailed) ||
		(target == ErrTaskCanceled && e.Task.State == TaskCanceled)
}

// Unwrap returns the task's fault.
func (e *TaskError) Unwrap() error { return e.Fault }

// WaitOptions are optional arguments of WaitTask and WaitRepo.
type WaitOptions struct {
	Interval time.Duration // poll interval; default from WithPollInterval
}

func (c *Client) interval(opts *WaitOptions) time.Duration {
	if opts != nil && opts.Interval > 0 {
		return opts.Interval
	}
	return c.poll
}

// WaitTask polls a task until it finishes and returns it. A task that ends
// FAILED or CANCELED is returned with a [*TaskError]. Use a context deadline
// to bound the wait.
func (c *Client) WaitTask(ctx context.Context, id int64, opts *WaitOptions) (*Task, error) {
	for {
		t, err := c.GetTaskInfo(ctx, id, nil)
		if err != nil {
			return nil, err
		}
		switch t.State {
		case TaskClosed:
			return t, nil
		case TaskFailed, TaskCanceled:
			_, ferr := c.GetTaskResult(ctx, id)
			var f *Fault
			if !errors.As(ferr, &f) {
				ferr = nil
			}
			return t, &TaskError{Task: t, Fault: ferr}
		}
		if err := retry.Sleep(ctx, c.interval(opts)); err != nil {
			return nil, fmt.Errorf("koji: wait for task %d: %w", id, err)
		}
	}
}
