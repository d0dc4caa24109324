package pseudoproxy.harness;

// Our own harness (pseudoproxy issue 20): replays, with the Jackson jars on the classpath, the exact
// Jackson / JsonPath calls Psoxy's REST pipeline makes (cited in jackson.md), for number literals,
// lone surrogates, raw invalid UTF-8, nesting depth and schema-rejected roots.
// Writes one JSON document (argument 1).

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.jayway.jsonpath.spi.json.JacksonJsonProvider;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.*;

public class JacksonHarness {

    // Psoxy: PsoxyModule.providesObjectMapper() = new ObjectMapper(); the same instance backs
    // JsonSchemaFilterUtils and JsonPath's JacksonJsonProvider(objectMapper).
    static final ObjectMapper PSOXY_OM = new ObjectMapper();
    static final JacksonJsonProvider PROVIDER = new JacksonJsonProvider(PSOXY_OM);
    static final ObjectMapper REPORT = new ObjectMapper();

    static final String[] LITERALS = {
        "100000000000000000000000", "-9223372036854775809", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "2147483647", "2147483648", "-2147483648", "-2147483649", "0", "-0", "-0.0", "0.0",
        "1.0", "1e400", "-1e400", "4.9e-324", "2.5e-324", "2.4e-324", "1e-400", "1E2", "1e2", "1E+2", "1e-7",
        "123456789012345678901234567890.5", "0.1", "1.5", "-1.5", "2.5", "1e22", "1e21", "1e23", "2e23",
        "12345678.9", "1234567.8", "-1.0E-4", "0.001", "0.0001", "9007199254740993", "9007199254740993.0",
        "1.7976931348623157e308", "1.7976931348623159e308", "5e-324", "0.30000000000000004", "100", "1.00",
        "1e0", "0e0", "-0e0", "1.0E-5", "2147483647.5", "2147483648.9", "-2147483648.9", "9223372036854775807.0",
        "3.0E9", "1.2345678901234567890123", "null", "true", "\"5\"", "\"1.5\"",
    };

    static String sha(String s) throws Exception {
        byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(h);
    }

    /** PseudonymizerImpl.pseudonymize for a non-email leaf, URL_SAFE_TOKEN encoding: t~ + hash(value.toString()+salt). */
    static String pseudonym(Object value) throws Exception {
        if (value == null) return null;
        if (!(value instanceof String || value instanceof Number)) throw new IllegalArgumentException("Value must be some basic type (eg JSON leaf, not node)");
        if (value instanceof String && ((String) value).isBlank()) return null; // StringUtils.isBlank ~ (close enough for these inputs)
        return "t~" + sha(value.toString() + "salt");
    }

    // ---- restatement of the JsonSchemaFilterUtils.filterBySchema branches we exercise ----
    static final Object REDACTED = new Object();

    static Object leaf(JsonNode n, String type) {
        switch (type) {
            case "integer":
                if (n.canConvertToInt() || n.isNull()) return n.intValue();
                else if (n.canConvertToLong()) return n.longValue();
                else return null;
            case "number":
                if (n.isNumber() || n.isNull()) return n.numberValue();
                else return null;
            case "string":
                if (n.isTextual()) return n.asText();
                else return null;
            default: throw new IllegalArgumentException(type);
        }
    }

    /** filterJsonBySchema(json, {type:object, properties:{n:{type:T}}}) */
    static String filterObject(String json, String type) throws Exception { return filterObject(json, type, "n"); }

    static String filterObject(String json, String type, String key) throws Exception {
        JsonNode root = PSOXY_OM.readTree(json);
        if (!root.isObject()) return PSOXY_OM.writeValueAsString(null);
        Map<String, Object> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals(key)) out.put(key, leaf(e.getValue(), type));
        }
        return PSOXY_OM.writeValueAsString(out);
    }

    /** filterJsonBySchema(json, {type:array, items:{type:T}}) -- null results are dropped from arrays */
    static String filterArray(String json, String type) throws Exception {
        JsonNode root = PSOXY_OM.readTree(json);
        if (!root.isArray()) return PSOXY_OM.writeValueAsString(null);
        List<Object> out = new LinkedList<>();
        for (JsonNode el : root) {
            Object f = leaf(el, type);
            if (f != null) out.add(f);
        }
        return PSOXY_OM.writeValueAsString(out);
    }

    static String err(Throwable t) {
        String m = t.getMessage();
        if (m != null && m.length() > 300) m = m.substring(0, 300) + "...";
        return "ERROR " + t.getClass().getName() + ": " + m;
    }

    interface Call { String run() throws Throwable; }

    static String attempt(Call c) {
        try { return c.run(); } catch (Throwable t) { return err(t); }
    }

    static String javaType(Object o) { return o == null ? "null" : o.getClass().getSimpleName(); }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }


    /**
     * The newest RESTApiSanitizerImpl.sanitize(String) flow we found (streaming): String -> UTF-8 bytes ->
     * JsonParser; per top-level value: readTree -> writeValueAsString -> jsonProvider.parse; if schema:
     * jsonProvider.toJson -> filterJsonBySchema -> jsonProvider.parse; transforms; jsonProvider.toJson
     * written through OutputStreamWriter(UTF-8) + BufferedWriter, values joined by "\n"; the caller
     * decodes the bytes with new String(bytes, UTF_8). An exception in the worker thread does not reach
     * the caller: the caller reads whatever was flushed (try-with-resources closes = flushes the writer).
     * schemaType: null | integer | number | string (schema {type:object, properties:{KEY:{type}}} or
     * {type:array, items:{type}}); transform: null | "pseudonymize" | "textDigest" (on KEY / [*]).
     */
    static String stream(String jsonResponse, String schemaType, String transform, String key) {
        java.io.ByteArrayOutputStream bytesOut = new java.io.ByteArrayOutputStream();
        String error = null;
        try (com.fasterxml.jackson.core.JsonParser parser = PSOXY_OM.getFactory().createParser(
                 new java.io.ByteArrayInputStream(jsonResponse.getBytes(StandardCharsets.UTF_8)));
             java.io.OutputStreamWriter writer = new java.io.OutputStreamWriter(bytesOut, StandardCharsets.UTF_8);
             java.io.BufferedWriter bufferedWriter = new java.io.BufferedWriter(writer)) {
            boolean first = true;
            while (parser.nextToken() != null) {
                Object node = PROVIDER.parse(PSOXY_OM.writeValueAsString(PSOXY_OM.readTree(parser)));
                Object document = node;
                if (schemaType != null) {
                    String json = PROVIDER.toJson(node);
                    boolean arraySchema = schemaType.startsWith("array:") || (!schemaType.startsWith("object:") && json.startsWith("["));
                    String leafType = schemaType.replace("array:", "").replace("object:", "");
                    String filtered = arraySchema ? filterArray(json, leafType) : filterObject(json, leafType, key);
                    document = PROVIDER.parse(filtered);
                }
                if (transform != null) {
                    if (document == null) throw new IllegalArgumentException("json can not be null (JsonPath on a null document)");
                    applyLeafTransform(document, transform, key);
                }
                if (!first) bufferedWriter.write("\n");
                bufferedWriter.write(PROVIDER.toJson(document));
                first = false;
            }
        } catch (Throwable t) {
            error = err(t);
        }
        String body = new String(bytesOut.toByteArray(), StandardCharsets.UTF_8);
        return error == null ? body : body + "   <<worker thread died: " + error + ">>";
    }

    @SuppressWarnings("unchecked")
    static void applyLeafTransform(Object document, String transform, String key) throws Exception {
        if (document instanceof Map) {
            Map<String, Object> m = (Map<String, Object>) document;
            if (m.containsKey(key)) m.put(key, leafTransform(m.get(key), transform));
        } else if (document instanceof List) {
            List<Object> l = (List<Object>) document;
            for (int i = 0; i < l.size(); i++) l.set(i, leafTransform(l.get(i), transform));
        }
    }

    static Object leafTransform(Object v, String transform) throws Exception {
        if (transform.equals("pseudonymize")) return pseudonym(v);
        // textDigest: non-String -> null (and a warning); String -> jsonProvider.toJson(generate(text))
        if (!(v instanceof String)) return null;
        return PROVIDER.toJson(textDigest((String) v));
    }

    static ObjectNode numberCase(String doc, boolean isObject) {
        ObjectNode r = REPORT.createObjectNode();
        r.put("input", doc);
        r.put("stream_no_schema", stream(doc, null, null, "n"));
        r.put("stream_schema_integer", stream(doc, "integer", null, "n"));
        r.put("stream_schema_number", stream(doc, "number", null, "n"));
        r.put("stream_schema_string", stream(doc, "string", null, "n"));
        r.put("stream_pseudonymize", stream(doc, null, "pseudonymize", "n"));
        r.put("stream_schema_integer_then_pseudonymize", stream(doc, "integer", "pseudonymize", "n"));
        r.put("legacy_string_flow_passthrough_no_schema_no_transforms", doc);
        Object parsed;
        try {
            parsed = PROVIDER.parse(doc);
        } catch (Throwable t) {
            r.put("roundtrip_via_jsonpath_provider", err(t));
            return r;
        }
        Object value = isObject ? ((Map<?, ?>) parsed).get("n") : ((List<?>) parsed).get(0);
        r.put("parsed_java_type", javaType(value));
        r.put("roundtrip_via_jsonpath_provider", attempt(() -> PROVIDER.toJson(parsed)));
        for (String t : new String[]{"integer", "number", "string"}) {
            String filtered = attempt(() -> isObject ? filterObject(doc, t) : filterArray(doc, t));
            r.put("schema_" + t, filtered);
            if (!filtered.startsWith("ERROR")) {
                r.put("schema_" + t + "_then_transform_roundtrip", attempt(() -> PROVIDER.toJson(PROVIDER.parse(filtered))));
            }
        }
        // pseudonymize transform on $.n / $[0] (no schema): value as parsed by JacksonJsonProvider
        r.put("pseudonym_hashed_string", value == null ? null : value.toString());
        String tok = attempt(() -> pseudonym(value));
        r.put("pseudonym", tok);
        r.put("pseudonymized_document", attempt(() -> {
            Object d = PROVIDER.parse(doc);
            if (isObject) ((Map<String, Object>) d).put("n", pseudonym(((Map<?, ?>) d).get("n")));
            else ((List<Object>) d).set(0, pseudonym(((List<?>) d).get(0)));
            return PROVIDER.toJson(d);
        }));
        // same after an integer schema (filter first, then transforms see the filtered doc)
        r.put("pseudonym_after_integer_schema", attempt(() -> {
            String f = isObject ? filterObject(doc, "integer") : filterArray(doc, "integer");
            Object d = PROVIDER.parse(f);
            Object v = isObject ? ((Map<?, ?>) d).get("n") : (((List<?>) d).isEmpty() ? null : ((List<?>) d).get(0));
            return v == null ? null : pseudonym(v);
        }));
        return r;
    }

    static TreeMap<String, Object> textDigest(String text) {
        // Transform.TextDigest.generate / Augment.TextDigest.generate (no keywords)
        TreeMap<String, Object> result = new TreeMap<>();
        if (text == null || text.isEmpty()) {
            result.put("length", 0);
            result.put("word_count", 0);
            return result;
        }
        result.put("length", text.length());
        result.put("word_count", text.trim().split("\\s+").length);
        return result;
    }

    public static void main(String[] args) throws Exception {
        REPORT.enable(SerializationFeature.INDENT_OUTPUT);
        REPORT.getFactory().configure(JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature(), true);

        ObjectNode out = REPORT.createObjectNode();
        out.put("java_version", System.getProperty("java.version"));
        out.put("jackson_core_version", com.fasterxml.jackson.core.json.PackageVersion.VERSION.toString());
        out.put("jackson_databind_version", com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString());
        out.put("json_path_version", "2.0.0 (Debian libjsonpath-java); Psoxy pins a newer 2.x");
        out.put("salt", "salt");

        ArrayNode numbers = out.putArray("numbers");
        for (String lit : LITERALS) {
            ObjectNode n = numbers.addObject();
            n.put("literal", lit);
            n.set("as_object_member", numberCase("{\"n\":" + lit + "}", true));
            n.set("as_array_element", numberCase("[" + lit + "]", false));
        }

        // ---- strings with lone surrogates (JSON escapes) ----
        ArrayNode strings = out.putArray("strings");
        String[] sdocs = {"\"\\ud800 lone\"", "\"x\\udc00\"", "\"\\ud83d\"", "\"\\udc00\\ud800\"", "\"ok \\ud83d\\ude00\"",
            "\"   \"", "\"\"", "\"a\\u00a0b\"", "\"a\\u2003b\"", "\"a\\u0085b\"", "\"tab\\tsep\"", "\" lead and trail \""};
        for (String s : sdocs) {
            ObjectNode r = strings.addObject();
            String doc = "{\"s\":" + s + "}";
            r.put("input", doc);
            r.put("stream_no_schema", stream(doc, null, null, "s"));
            r.put("stream_no_schema_utf16_units", hexUnits(stream(doc, null, null, "s")));
            r.put("stream_schema_string_utf16_units", hexUnits(stream(doc, "string", null, "s")));
            r.put("stream_textDigest", stream(doc, null, "textDigest", "s"));
            r.put("stream_pseudonymize", stream(doc, null, "pseudonymize", "s"));
            r.put("legacy_string_flow_passthrough_no_schema_no_transforms", doc);
            try {
                Map<String, Object> parsed = (Map<String, Object>) PROVIDER.parse(doc);
                String v = (String) parsed.get("s");
                r.put("decoded_utf16_units", hexUnits(v));
                String rt = PROVIDER.toJson(parsed);
                r.put("roundtrip_string", rt);
                r.put("roundtrip_utf16_units", hexUnits(rt));
                r.put("roundtrip_utf8_bytes_if_encoded_with_getBytes_UTF8", hex(rt.getBytes(StandardCharsets.UTF_8)));
                String schemaString = filterObject(doc, "string", "s");
                r.put("schema_string", schemaString);
                r.put("schema_string_utf16_units", hexUnits(schemaString));
                // textDigest transform: value replaced by jsonProvider.toJson(generate(text)) -- a JSON *string*
                Map<String, Object> d2 = (Map<String, Object>) PROVIDER.parse(doc);
                d2.put("s", PROVIDER.toJson(textDigest(v)));
                r.put("textDigest_document", PROVIDER.toJson(d2));
                r.put("pseudonym", pseudonym(v));
                r.put("hash_input_utf8_bytes", hex((v + "salt").getBytes(StandardCharsets.UTF_8)));
            } catch (Throwable t) {
                r.put("error", err(t));
            }
        }
        // pseudonym equivalences caused by '?' replacement of lone surrogates in String.getBytes(UTF_8)
        ObjectNode eq = out.putObject("lone_surrogate_pseudonym_collisions");
        eq.put("pseudonym(\"\\ud800 lone\")", pseudonym("\ud800 lone"));
        eq.put("pseudonym(\"? lone\")", pseudonym("? lone"));
        eq.put("pseudonym(\"\\udc00\\ud800\")", pseudonym("\udc00\ud800"));
        eq.put("pseudonym(\"??\")", pseudonym("??"));

        // ---- raw (unescaped) invalid UTF-8 in input ----
        ObjectNode raw = out.putObject("raw_invalid_utf8");
        byte[] bad = {'{', '"', 's', '"', ':', '"', 'a', (byte) 0xff, 'b', '"', '}'};
        byte[] lone = {'{', '"', 's', '"', ':', '"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"', '}'}; // CESU/WTF-8 lone surrogate
        byte[] overlong = {'{', '"', 's', '"', ':', '"', (byte) 0xc0, (byte) 0xaf, '"', '}'};
        for (Object[] c : new Object[][]{{"0xff", bad}, {"ed a0 80 (encoded lone surrogate)", lone}, {"c0 af (overlong)", overlong}}) {
            ObjectNode r = raw.putObject((String) c[0]);
            byte[] b = (byte[]) c[1];
            r.put("bytes", hex(b));
            r.put("readTree_bytes", attempt(() -> PSOXY_OM.writeValueAsString(PSOXY_OM.readTree(b))));
            String decoded = new String(b, StandardCharsets.UTF_8);
            r.put("decoded_as_java_String_UTF8", hexUnits(decoded));
            r.put("readTree_of_decoded_String", attempt(() -> PSOXY_OM.writeValueAsString(PSOXY_OM.readTree(decoded))));
        }

        // ---- nesting depth ----
        ObjectNode nest = out.putObject("nesting");
        for (int depth : new int[]{1000, 1001, 5000, 20000, 200000}) {
            String doc = "[".repeat(depth) + "]".repeat(depth);
            ObjectNode r = nest.putObject(String.valueOf(depth));
            r.put("readTree", attempt(() -> { PSOXY_OM.readTree(doc); return "ok"; }));
            r.put("readTree_then_write", attempt(() -> PSOXY_OM.writeValueAsString(PSOXY_OM.readTree(doc)).length() + " chars"));
            r.put("jsonpath_provider_parse_then_toJson", attempt(() -> PROVIDER.toJson(PROVIDER.parse(doc)).length() + " chars"));
            String objDoc = "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
            r.put("objects_readTree", attempt(() -> { PSOXY_OM.readTree(objDoc); return "ok"; }));
        }

        // ---- roots a schema rejects: filterJsonBySchema returns writeValueAsString(null) = "null" ----
        ObjectNode roots = out.putObject("schema_root_rejection");
        for (String doc : new String[]{"[{\"n\":1}]", "42", "\"str\"", "null", "true", "{}"}) {
            roots.put("object_schema <- " + doc, attempt(() -> filterObject(doc, "integer")));
        }
        for (String doc : new String[]{"{\"n\":1}", "42", "null"}) {
            roots.put("array_schema <- " + doc, attempt(() -> filterArray(doc, "integer")));
        }
        roots.put("jsonpath_provider_parse(\"null\")", attempt(() -> javaType(PROVIDER.parse("null"))));
        roots.put("jsonpath_read_on_null_document", attempt(() -> {
            Object o = com.jayway.jsonpath.JsonPath.compile("$.n").read((Object) null);
            return String.valueOf(o);
        }));
        // root `const` mismatch: Psoxy returns its private NotMatchedConstant marker, then writeValueAsString(marker)
        roots.put("writeValueAsString(private marker object, like NotMatchedConstant)", attempt(() -> PSOXY_OM.writeValueAsString(Marker.getInstance())));

        ObjectNode st = out.putObject("stream_whole_body_cases");
        String[][] bodies = {
            {"{\"n\":1}{\"n\":2}", null, null}, {"[1] [2]", null, null}, {"{\"n\":1} trailing", null, null},
            {"{\"n\":1", null, null}, {"  {\"n\":1}  ", null, null}, {"42", null, null}, {"\"str\"", null, null},
            {"null", null, null}, {"[{\"n\":1}]", "object:integer", null}, {"42", "object:integer", null}, {"null", "object:integer", null},
            {"{\"n\":1}", "array:integer", null}, {"[{\"n\":1}]", "object:integer", "pseudonymize"},
            {"\"str\"", "object:integer", "pseudonymize"}, {"[{\"n\":1}]{\"n\":2}", "object:integer", "pseudonymize"},
            {"{\"n\":1}{\"n\":\"x\"}", null, "pseudonymize"}, {"{\"n\":true}", null, "pseudonymize"},
            {"{\"n\":1, \"n\":2}", null, null}, {"{\"n\":\"a\u0000b\"}", null, null}, {"{\"n\":\"\u00e9\"}", null, null},
        };
        for (String[] b : bodies) {
            st.put("body=" + b[0] + " schema=" + b[1] + " transform=" + b[2], stream(b[0], b[1], b[2], "n"));
        }
        REPORT.writeValue(new File(args[0]), out);
    }

    private static class Marker {
        private final static Marker instance = new Marker();
        public static Marker getInstance() { return instance; }
    }

    static String hexUnits(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\') sb.append(c);
            else sb.append(String.format("\\u%04x", (int) c));
        }
        return sb.toString();
    }
}
