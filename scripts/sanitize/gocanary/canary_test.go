package gocanary

import "testing"

func TestLoseAnError(t *testing.T) { loseAnError() }
