package planner

import (
	"errors"

	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// Compute computes the plan that turns base into desired within the scope
// of opts. A nil state is an empty one. (Go does not allow a function and a
// type both named Plan in one package: the type keeps the name.)
func Compute(base, desired *state.State, opts Options) (*Plan, error) {
	return nil, errors.New("planner: not implemented yet")
}
