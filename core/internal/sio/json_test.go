package sio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestSplitArrayInvalidTerminates: SplitArray and FirstElement must return
// (an error, or anything) on malformed input instead of looping. A looping
// call appends forever, so the inputs run in a child process, which prints
// the index of the first input that has not returned after a second and
// exits with status 3; the parent then runs the remaining inputs again.
func TestSplitArrayInvalidTerminates(t *testing.T) {
	if list, ok := os.LookupEnv("SIO_SPLIT_CHILD_INPUTS"); ok {
		var inputs []string
		if err := json.Unmarshal([]byte(list), &inputs); err != nil {
			os.Exit(2)
		}
		for i, in := range inputs {
			done := make(chan struct{})
			go func() {
				_, _ = SplitArray([]byte(in))
				_, _, _ = FirstElement([]byte(in))
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(time.Second):
				fmt.Printf("hang:%d\n", i)
				os.Exit(3)
			}
		}
		os.Exit(0)
	}
	t.Parallel()
	inputs := []string{
		`[}]`,          // object close inside an array
		`[1}`,          // object close after an element
		`["a"}]`,       // stray close brace after a string
		`[1:2]`,        // colon
		`[1 2 "x" {}]`, // missing commas
		`[,1]`,         // leading comma
		`[1,,2]`,       // double comma
		`[[}]`,         // unbalanced nested
		`["\`,          // backslash at the end
		`[#!]`,         // garbage
	}
	var hangs []string
	for len(inputs) > 0 {
		list, _ := json.Marshal(inputs)
		cmd := exec.Command(os.Args[0], "-test.run=^TestSplitArrayInvalidTerminates$")
		cmd.Env = append(os.Environ(), "SIO_SPLIT_CHILD_INPUTS="+string(list))
		out, err := cmd.Output()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			break
		}
		var i int
		at := bytes.LastIndex(out, []byte("hang:"))
		if at < 0 {
			t.Fatalf("child output %q", out)
		}
		if _, err := fmt.Sscanf(string(out[at:]), "hang:%d", &i); err != nil || i >= len(inputs) {
			t.Fatalf("child output %q", out)
		}
		hangs = append(hangs, inputs[i])
		inputs = inputs[i+1:]
	}
	for _, in := range hangs {
		t.Errorf("SplitArray/FirstElement(%q) does not return (infinite loop)", in)
	}
}

// TestSplitArrayMatchesEncodingJSON compares with encoding/json on the
// arguments of real packets.
func TestSplitArrayMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for typ, payloads := range validPayloads {
		for _, p := range payloads {
			if p == "" || p[0] != '[' {
				continue
			}
			var want []json.RawMessage
			if err := json.Unmarshal([]byte(p), &want); err != nil {
				t.Fatal(err)
			}
			got, err := SplitArray([]byte(p))
			if err != nil || len(got) != len(want) {
				t.Fatalf("type %d: SplitArray(%s) = %q, %v; want %q", typ, p, got, err, want)
			}
			for i := range got {
				if string(got[i]) != string(want[i]) {
					t.Fatalf("SplitArray(%s)[%d] = %s, want %s", p, i, got[i], want[i])
				}
			}
		}
	}
}
