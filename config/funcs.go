package config

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// fileReads remembers every file read by file() and templatefile(), by the
// SHA-256 of its content, so that a certificate key can be traced back to the
// file it came from.
type fileReads struct {
	mu     sync.Mutex
	byHash map[[32]byte]string // content hash → absolute path
}

func (r *fileReads) record(path string, content []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byHash == nil {
		r.byHash = make(map[[32]byte]string)
	}
	r.byHash[sha256.Sum256(content)] = path
}

func (r *fileReads) lookup(sum [32]byte) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.byHash[sum]
	return p, ok
}

// maxFileSize bounds what file() and templatefile() read: certificates,
// keys and answer pages are small, and a device or a huge file would only
// stall the load.
const maxFileSize = 16 << 20

// functions returns the function library of the configuration language:
// go-cty's standard library under the names Terraform gives it, plus the
// file system functions, whose relative paths are resolved against dir.
func functions(dir string, reads *fileReads) map[string]function.Function {
	resolve := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(dir, p)
	}
	fns := map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"csvdecode":       stdlib.CSVDecodeFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatdate":      stdlib.FormatDateFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"index":           stdlib.IndexFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      jsonDecodeFunc(),
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"log":             stdlib.LogFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"pow":             stdlib.PowFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"replace":         stdlib.ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"timeadd":         stdlib.TimeAddFunc,
		"title":           stdlib.TitleFunc,
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
		"try":             tryfunc.TryFunc,
		"can":             tryfunc.CanFunc,
		"tostring":        convertFunc(cty.String),
		"tonumber":        convertFunc(cty.Number),
		"tobool":          convertFunc(cty.Bool),
		"tolist":          convertFunc(cty.List(cty.DynamicPseudoType)),
		"toset":           convertFunc(cty.Set(cty.DynamicPseudoType)),
		"tomap":           convertFunc(cty.Map(cty.DynamicPseudoType)),
		"base64encode":    stringFunc(func(s string) (string, error) { return base64.StdEncoding.EncodeToString([]byte(s)), nil }),
		"base64decode": stringFunc(func(s string) (string, error) {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return "", fmt.Errorf("invalid base64: %w", err)
			}
			if !utf8.Valid(b) {
				return "", fmt.Errorf("the decoded bytes are not valid UTF-8")
			}
			return string(b), nil
		}),
		"urlencode": stringFunc(func(s string) (string, error) { return url.QueryEscape(s), nil }),
		"md5":       hashFunc(func(b []byte) []byte { s := md5.Sum(b); return s[:] }),
		"sha1":      hashFunc(func(b []byte) []byte { s := sha1.Sum(b); return s[:] }),
		"sha256":    hashFunc(func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }),
		"sha512":    hashFunc(func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }),
		"abspath": stringFunc(func(s string) (string, error) {
			return resolve(s), nil
		}),
		"fileexists": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				st, err := os.Stat(resolve(args[0].AsString()))
				if err != nil {
					if os.IsNotExist(err) {
						return cty.False, nil
					}
					return cty.NilVal, fmt.Errorf("cannot read %s: %w", args[0].AsString(), err)
				}
				if !st.Mode().IsRegular() {
					return cty.NilVal, fmt.Errorf("%s is not a regular file", args[0].AsString())
				}
				return cty.True, nil
			},
		}),
	}
	readFile := func(p string) (string, error) {
		abs := resolve(p)
		st, err := os.Stat(abs)
		if err != nil {
			return "", fmt.Errorf("cannot read file %s: %w", p, unwrapPathError(err))
		}
		if !st.Mode().IsRegular() {
			return "", fmt.Errorf("%s is not a regular file", p)
		}
		if st.Size() > maxFileSize {
			return "", fmt.Errorf("file %s is larger than %d MiB", p, maxFileSize>>20)
		}
		b, err := os.ReadFile(abs)
		if err != nil {
			return "", fmt.Errorf("cannot read file %s: %w", p, unwrapPathError(err))
		}
		if !utf8.Valid(b) {
			return "", fmt.Errorf("file %s is not valid UTF-8", p)
		}
		reads.record(abs, b)
		return string(b), nil
	}
	fns["file"] = stringFunc(readFile)
	fns["templatefile"] = function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "vars", Type: cty.DynamicPseudoType},
		},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			src, err := readFile(args[0].AsString())
			if err != nil {
				return cty.NilVal, err
			}
			vars := args[1]
			if !vars.Type().IsObjectType() && !vars.Type().IsMapType() {
				return cty.NilVal, fmt.Errorf("the vars argument must be an object or a map")
			}
			expr, diags := hclsyntax.ParseTemplate([]byte(src), args[0].AsString(), hcl.InitialPos)
			if diags.HasErrors() {
				return cty.NilVal, fmt.Errorf("template %s: %s", args[0].AsString(), diags.Error())
			}
			ctx := &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: map[string]function.Function{}}
			if !vars.IsNull() {
				for it := vars.ElementIterator(); it.Next(); {
					k, v := it.Element()
					ctx.Variables[k.AsString()] = v
				}
			}
			for name, fn := range fns {
				if name != "templatefile" {
					ctx.Functions[name] = fn
				}
			}
			v, diags := expr.Value(ctx)
			if diags.HasErrors() {
				return cty.NilVal, fmt.Errorf("template %s: %s", args[0].AsString(), diags.Error())
			}
			v, err = convert.Convert(v, cty.String)
			if err != nil {
				return cty.NilVal, fmt.Errorf("template %s: %w", args[0].AsString(), err)
			}
			return v, nil
		},
	})
	return fns
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func stringFunc(f func(string) (string, error)) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			s, err := f(args[0].AsString())
			if err != nil {
				return cty.NilVal, err
			}
			return cty.StringVal(s), nil
		},
	})
}

func hashFunc(h func([]byte) []byte) function.Function {
	return stringFunc(func(s string) (string, error) { return hex.EncodeToString(h([]byte(s))), nil })
}

func convertFunc(want cty.Type) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "v", Type: cty.DynamicPseudoType, AllowNull: true, AllowMarked: true}},
		Type: func(args []cty.Value) (cty.Type, error) {
			got := args[0].Type()
			if want == cty.String || want == cty.Number || want == cty.Bool {
				return want, nil
			}
			out, err := convert.Convert(cty.UnknownVal(got), want)
			if err != nil {
				return cty.NilType, fmt.Errorf("cannot convert %s to %s", got.FriendlyName(), want.FriendlyNameForConstraint())
			}
			return out.Type(), nil
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			v, err := convert.Convert(args[0], retType)
			if err != nil {
				return cty.NilVal, fmt.Errorf("cannot convert %s to %s: %s", args[0].Type().FriendlyName(), strings.TrimSpace(retType.FriendlyName()), err)
			}
			return v, nil
		},
	})
}
