package wire

import (
	"testing"

	"mvapi/internal/webphone"
)

func TestParseBodyJSON(t *testing.T) {
	runBodyCases(t, []bodyCase{
		{"flat", "application/json", `{"apientry":"balance","authKey":"k","authid":"u1"}`,
			p("apientry", "balance", "authkey", "k", "authid", "u1"), "json"},
		{"sniffed with white space", "", " \n{\"a\": \"1\"}\n", p("a", "1"), "json"},
		{"json subtype", "application/vnd.mizu+json; charset=utf-8", `{"a":"1"}`, p("a", "1"), "json"},
		{"numbers as written", "application/json",
			`{"i":42,"neg":-7,"f":1.50,"e":1e3,"big":12345678901234567890,"z":0}`,
			p("i", "42", "neg", "-7", "f", "1.50", "e", "1e3", "big", "12345678901234567890", "z", "0"), "json"},
		{"bools and null", "", `{"t":true,"f":false,"n":null}`, p("t", "true", "f", "false"), "json"},
		{"escapes and unicode", "", `{"s":"a\"b\\c\u00e9\n","u":"日本"}`, p("s", "a\"b\\cé\n", "u", "日本"), "json"},
		{"empty object", "", `{}`, nil, "json"},
		{"wrapped params", "", `{"params":{"apientry":"balance","now":415}}`,
			p("apientry", "balance", "now", "415"), "json"},
		{"wrapped request", "", `{"Request":{"apientry":"x"}}`, p("apientry", "x"), "json"},
		{"flat and wrapped mixed", "", `{"authkey":"k","params":{"apientry":"x"},"now":1}`,
			p("authkey", "k", "apientry", "x", "now", "1"), "json"},
		{"params as a plain value", "", `{"params":"p"}`, p("params", "p"), "json"},
		{"duplicates kept", "", `{"a":"1","a":"2"}`, p("a", "1", "a", "2"), "json"},
		{"empty key skipped", "", `{"":"x","a":"1"}`, p("a", "1"), "json"},
		{"oenc1 value", "", `{"authkey":"oenc1_` + webphone.EncodeXOR("k", DefaultXORKey) + `"}`,
			p("authkey", "k"), "json"},
		{"mcrfs value", "", `{"mcrfs":"` + webphone.EncodeXOR("apientry=x&now", DefaultXORKey) + `"}`,
			p("apientry", "x", "now", ""), "json"},
	})
	runBodyErrorCases(t, []bodyErrorCase{
		{"nested object", "", `{"a":{"b":1}}`, `"a"`},
		{"array", "", `{"a":[1,2]}`, `"a"`},
		{"nested inside wrapper", "", `{"params":{"a":{"b":1}}}`, `"a"`},
		{"wrapper inside wrapper", "", `{"params":{"request":{"a":"1"}}}`, `"request"`},
		{"wrapper holding an array", "", `{"params":[{"a":"1"}]}`, `"params"`},
		{"top-level array", "application/json", `[{"a":"1"}]`, "not an object"},
		{"top-level string", "application/json", `"a"`, "not an object"},
		{"empty with json type", "application/json", ``, "json"},
		{"truncated", "", `{"a":"1"`, "json"},
		{"trailing data", "", `{"a":"1"}{"b":"2"}`, "after the object"},
		{"bad syntax", "", `{"a" "1"}`, "json"},
		{"number key", "", `{1:"a"}`, "json"},
	})
}

const soap11 = `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <soap:Header>
    <Security><authkey>header-key</authkey></Security>
  </soap:Header>
  <soap:Body>
    <balance xmlns="urn:mizu" version="2">
      <apientry>balance</apientry>
      <authKey> k </authKey>
      <authid>u1</authid>
      <now/>
    </balance>
  </soap:Body>
</soap:Envelope>`

const soap12 = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope">
  <env:Body><m:req xmlns:m="urn:x"><m:apientry>x</m:apientry></m:req></env:Body>
</env:Envelope>`

func TestParseBodyXML(t *testing.T) {
	runBodyCases(t, []bodyCase{
		{"soap 1.1", "text/xml; charset=utf-8", soap11,
			p("apientry", "balance", "authkey", "k", "authid", "u1", "now", ""), "soap"},
		{"soap 1.2", "application/soap+xml", soap12, p("apientry", "x"), "soap"},
		{"soap params directly in body", "", `<Envelope><Body><a>1</a></Body></Envelope>`, p("a", "1"), "soap"},
		{"empty soap body", "", `<Envelope><Body/></Envelope>`, nil, "soap"},
		{"plain xml", "application/xml", `<request id="1"><apientry>x</apientry><AuthID>u1</AuthID></request>`,
			p("apientry", "x", "authid", "u1"), "xml"},
		{"sniffed xml", "", "\n<r><a>1</a></r>", p("a", "1"), "xml"},
		{"leaves at any depth", "", `<r><g><a>1</a><h><b>2</b></h></g><c>3</c></r>`,
			p("a", "1", "b", "2", "c", "3"), "xml"},
		{"cdata, entities and comments", "", `<r><a><![CDATA[x&y]]></a><b>1 &lt; 2<!-- c --></b></r>`,
			p("a", "x&y", "b", "1 < 2"), "xml"},
		{"mixed content text ignored", "", `<r>noise<a>1</a>tail</r>`, p("a", "1"), "xml"},
		{"root leaf", "", `<apientry>x</apientry>`, p("apientry", "x"), "xml"},
		{"latin-1 document", "", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r><n>\xe9t\xe9</n></r>",
			p("n", "été"), "xml"},
		{"oenc1 value", "", "<r><pw>oenc1_" + webphone.EncodeXOR("x", DefaultXORKey) + "</pw></r>", p("pw", "x"), "xml"},
	})
	runBodyErrorCases(t, []bodyErrorCase{
		{"unclosed", "", `<r><a>1</a>`, "xml"},
		{"mismatched", "", `<r><a>1</b></r>`, "xml"},
		{"two roots", "", `<a>1</a><b>2</b>`, "more than one root"},
		{"text only with xml type", "text/xml", `hello`, "no element"},
		{"unknown entity", "", `<r><a>&nbsp;</a></r>`, "xml"},
		{"unknown charset", "", `<?xml version="1.0" encoding="koi8-r"?><r/>`, "koi8-r"},
	})
}

// TestParseBodyDeclaredTypeWins checks that a recognised content type is
// trusted over sniffing, while unknown types fall back to the content.
func TestParseBodyDeclaredTypeWins(t *testing.T) {
	runBodyCases(t, []bodyCase{
		{"form type with several lines", "application/x-www-form-urlencoded", "a=1\nb=2",
			p("a", "1\nb=2"), "query"},
		{"unknown type sniffed as json", "application/octet-stream", `{"a":"1"}`, p("a", "1"), "json"},
		{"unknown type sniffed as xml", "text/html", `<r><a>1</a></r>`, p("a", "1"), "xml"},
		{"upper-case media type", "APPLICATION/JSON", `{"a":"1"}`, p("a", "1"), "json"},
	})
	runBodyErrorCases(t, []bodyErrorCase{
		{"json type with a query body", "application/json", "a=1", "json"},
		{"xml type with a json body", "text/xml", `{"a":"1"}`, "no element"},
		{"xml type with an ini body", "application/xml", "a=1\nb=2", "no element"},
	})
}
