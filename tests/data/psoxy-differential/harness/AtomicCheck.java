package pseudoproxy.harness;

// Our own check (issue 20): does removing the atomic groups `(?>` from Psoxy's MAILBOX_PATTERN /
// ADDR_SPEC_PATTERN / QUOTED_STRING_WO_CFWS_PATTERN change any full-match verdict or any capture?
// If not (on the vectors plus extra random strings over the grammar's alphabet), a port to an
// engine without atomic groups (Rust `regex`) may replace `(?>X)` with `(?:X)`.
//
// Usage: java ... pseudoproxy.harness.AtomicCheck <inputs.json> <criteria> <n-random> <seed>

import co.worklytics.psoxy.utils.email.EmailAddressCriteria;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class AtomicCheck {
    public static void main(String[] args) throws Exception {
        List<String> inputs = new ArrayList<>(new ObjectMapper().readValue(new File(args[0]), new TypeReference<List<String>>() {}));
        EnumSet<EmailAddressCriteria> c = EmailHarness.criteria(args[1]);
        int nRandom = Integer.parseInt(args[2]);
        Random rnd = new Random(Long.parseLong(args[3]));
        // short strings over a small alphabet that exercises quoted strings, FWS, comments, escapes
        String[] alphabet = {"\"", "\\", " ", "\t", "\r\n", "\r", "\n", "a", "B", "(", ")", "@", "<", ">", ".", "[", "]",
            "x.y", "é", "\u0001", ",", ":", ";", "+", "\"a\"", "c@d.e", "\u0085"};
        for (int i = 0; i < nRandom; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + rnd.nextInt(14);
            for (int j = 0; j < len; j++) sb.append(alphabet[rnd.nextInt(alphabet.length)]);
            inputs.add(sb.toString());
            // and variants embedded in a valid frame
            inputs.add("\"" + sb + "\"@acme.com");
            inputs.add("\"" + sb + "\" <a@acme.com>");
        }
        int compared = 0, differ = 0;
        for (String name : new String[]{"MAILBOX_PATTERN", "ADDR_SPEC_PATTERN", "QUOTED_STRING_WO_CFWS_PATTERN"}) {
            Pattern orig = EmailHarness.dragonsPattern(c, name);
            Pattern noAtomic = Pattern.compile(orig.pattern().replace("(?>", "(?:"));
            if (noAtomic.pattern().contains("(?>")) throw new IllegalStateException();
            for (String in : inputs) {
                Matcher a = orig.matcher(in), b = noAtomic.matcher(in);
                boolean ma = a.matches(), mb = b.matches();
                compared++;
                boolean same = ma == mb;
                if (same && ma) {
                    for (int g = 1; g <= a.groupCount(); g++) {
                        if (!Objects.equals(a.group(g), b.group(g))) { same = false; break; }
                    }
                }
                if (!same) {
                    differ++;
                    if (differ <= 20) System.out.println("DIFF " + name + " " + new ObjectMapper().writeValueAsString(in) + " atomic=" + ma + " plain=" + mb);
                }
            }
        }
        System.out.println("criteria=" + args[1] + " comparisons=" + compared + " differing=" + differ);
    }
}
