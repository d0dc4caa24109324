package pseudoproxy.harness;

// Our own harness (pseudoproxy issue 20). It drives Psoxy's email parser classes, which are
// compiled separately from psoxy-src/ (never committed), through the same decision path that
// Psoxy's pseudonymizer uses, and prints one JSON record per input.
//
// Usage:
//   java ... pseudoproxy.harness.EmailHarness vectors  <inputs.json> <out.json> <criteria>
//   java ... pseudoproxy.harness.EmailHarness patterns <out.txt> <criteria>
// criteria: "psoxy-default"  = {ALLOW_QUOTED_IDENTIFIERS, ALLOW_PARENS_IN_LOCALPART, ALLOW_DOMAIN_LITERALS}
//                              (what `new EmailAddressParser()` uses)
//           "no-domain-literals" = {ALLOW_QUOTED_IDENTIFIERS, ALLOW_PARENS_IN_LOCALPART}
//                              (the criteria older Psoxy passed to the upstream library: DEFAULT / RECOMMENDED)

import co.worklytics.psoxy.utils.email.EmailAddress;
import co.worklytics.psoxy.utils.email.EmailAddressCriteria;
import co.worklytics.psoxy.utils.email.EmailAddressParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.File;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.*;
import java.util.regex.Pattern;

public class EmailHarness {

    static final String SALT = "salt";
    static final long DEADLINE_MS = 20_000;

    static EnumSet<EmailAddressCriteria> criteria(String name) {
        switch (name) {
            case "psoxy-default":
                return EnumSet.of(EmailAddressCriteria.ALLOW_QUOTED_IDENTIFIERS,
                    EmailAddressCriteria.ALLOW_PARENS_IN_LOCALPART,
                    EmailAddressCriteria.ALLOW_DOMAIN_LITERALS);
            case "no-domain-literals":
                return EnumSet.of(EmailAddressCriteria.ALLOW_QUOTED_IDENTIFIERS,
                    EmailAddressCriteria.ALLOW_PARENS_IN_LOCALPART);
            default:
                throw new IllegalArgumentException(name);
        }
    }

    /** A CharSequence that gives up once a deadline passes, so a runaway regex can't hang the run. */
    static final class Deadline implements CharSequence {
        final String s; final long until;
        Deadline(String s, long until) { this.s = s; this.until = until; }
        public int length() { return s.length(); }
        public char charAt(int i) {
            if (System.currentTimeMillis() > until) throw new IllegalStateException("regex deadline exceeded");
            return s.charAt(i);
        }
        public CharSequence subSequence(int a, int b) { return new Deadline(s.substring(a, b), until); }
        public String toString() { return s; }
    }

    /** Reads a package-private Pattern field of Psoxy's Dragons for the given criteria. */
    static Pattern dragonsPattern(EnumSet<EmailAddressCriteria> c, String field) throws Exception {
        Class<?> dragons = Class.forName("co.worklytics.psoxy.utils.email.Dragons");
        Method from = dragons.getDeclaredMethod("fromCriteria", EnumSet.class);
        from.setAccessible(true);
        Object d = from.invoke(null, c);
        Field f = dragons.getDeclaredField(field);
        f.setAccessible(true);
        return (Pattern) f.get(d);
    }

    static String b64urlSha256(String s) throws Exception {
        // Psoxy: DigestUtils.sha256(identifier + salt) -> UTF-8 bytes (String.getBytes(UTF_8):
        // an unpaired surrogate becomes '?'), then Base64 URL encoder without padding.
        byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(h);
    }

    /** org.apache.commons.lang3.StringUtils.isBlank, restated: null, empty, or all Character.isWhitespace. */
    static boolean isBlank(String s) {
        if (s == null || s.isEmpty()) return true;
        for (int i = 0; i < s.length(); i++) if (!Character.isWhitespace(s.charAt(i))) return false;
        return true;
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper om = new ObjectMapper();
        if (args[0].equals("patterns")) {
            EnumSet<EmailAddressCriteria> c = criteria(args[2]);
            StringBuilder sb = new StringBuilder();
            for (String name : new String[]{"MAILBOX_PATTERN", "ADDR_SPEC_PATTERN", "COMMENT_PATTERN",
                "QUOTED_STRING_WO_CFWS_PATTERN", "ESCAPED_QUOTE_PATTERN", "ESCAPED_BSLASH_PATTERN"}) {
                Pattern p = dragonsPattern(c, name);
                sb.append("### ").append(name).append(" (criteria ").append(args[2]).append(", ")
                    .append(p.pattern().length()).append(" chars, flags=").append(p.flags())
                    .append(", capturing groups=").append(p.matcher("").groupCount()).append(")\n");
                sb.append(p.pattern()).append("\n\n");
            }
            Files.writeString(Path.of(args[1]), sb.toString(), StandardCharsets.UTF_8);
            return;
        }

        List<String> inputs = om.readValue(new File(args[1]), new TypeReference<List<String>>() {});
        EnumSet<EmailAddressCriteria> c = criteria(args[3]);
        EmailAddressParser parser = new EmailAddressParser(c);
        Pattern mailbox = dragonsPattern(c, "MAILBOX_PATTERN");

        ArrayNode out = om.createArrayNode();
        for (String input : inputs) {
            ObjectNode r = out.addObject();
            r.put("input", input);
            boolean blank = isBlank(input);
            long t0 = System.nanoTime();
            // guard: the same MAILBOX_PATTERN, matched on a deadline-checking view of the input
            boolean guardOk;
            try {
                mailbox.matcher(new Deadline(input, System.currentTimeMillis() + DEADLINE_MS)).matches();
                guardOk = true;
            } catch (IllegalStateException | StackOverflowError e) {
                guardOk = false;
                r.put("error", e instanceof StackOverflowError ? "StackOverflowError in regex" : "regex took > " + DEADLINE_MS + " ms");
            }
            Optional<EmailAddress> parsed = Optional.empty();
            if (guardOk) {
                try {
                    parsed = parser.parse(input);   // what Psoxy's emailAddressParser.isValid()/parse() do
                } catch (StackOverflowError e) {
                    r.put("error", "StackOverflowError in parse");
                }
            }
            long micros = (System.nanoTime() - t0) / 1000;
            boolean email = parsed.isPresent();
            r.put("email", email);
            if (!email && r.has("error")) {
                // undecided: treat as non-email but flag it
                r.put("email", false);
            }
            String canonical = null, domain = null, hashed;
            boolean npe = false;
            if (email && parsed.get().getDomain() == null) {
                // Psoxy's EmailAddressParserRoutines reads group 15 for an addr-spec domain literal, but in
                // MAILBOX_PATTERN group 15 is the trailing CFWS of the dot-atom alternative (the literal
                // is group 16), so `x@[1.2.3.4]` parses with domain == null. The canonicalization step
                // (`domain.toLowerCase()`) then throws NullPointerException: no pseudonym is produced.
                npe = true;
                r.put("error", "parser returned domain=null (bare addr-spec with domain literal); "
                    + "canonicalization would throw NullPointerException");
                r.put("local_part", parsed.get().getLocalPart());
                r.put("personal_name", parsed.get().getPersonalName());
                r.putNull("canonical");
                r.putNull("domain");
                r.put("blank", blank);
                r.putNull("token");
                r.put("micros", (System.nanoTime() - t0) / 1000);
                continue;
            }
            if (email) {
                EmailAddress ea = parsed.get();
                domain = ea.getDomain();
                // PseudonymizerImpl.emailCanonicalization, STRICT (default) canonicalization:
                String mailboxLowercase = ea.getLocalPart().toLowerCase();
                if (mailboxLowercase.contains("+")) {
                    mailboxLowercase = mailboxLowercase.substring(0, mailboxLowercase.indexOf("+"));
                }
                canonical = mailboxLowercase + "@" + domain.toLowerCase();
                hashed = canonical;
                r.put("local_part", ea.getLocalPart());
                r.put("personal_name", ea.getPersonalName());
            } else {
                hashed = input;
                r.putNull("local_part");
                r.putNull("personal_name");
            }
            if (canonical == null) r.putNull("canonical"); else r.put("canonical", canonical);
            if (domain == null) r.putNull("domain"); else r.put("domain", domain);
            r.put("blank", blank);
            if (blank) {
                // PseudonymizerImpl.pseudonymize: blank String -> null identity -> null in output
                r.putNull("token");
            } else {
                r.put("token", "t~" + b64urlSha256(hashed + SALT) + (domain != null ? "@" + domain : ""));
            }
            r.put("micros", micros);
        }
        om.enable(SerializationFeature.INDENT_OUTPUT);
        // ASCII-only output so every control / non-ASCII char is visible as \\uXXXX
        om.getFactory().configure(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature(), true);
        om.writeValue(new File(args[2]), out);
    }
}
