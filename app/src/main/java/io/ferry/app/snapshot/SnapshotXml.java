package io.ferry.app.snapshot;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import javax.xml.stream.XMLStreamWriter;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The snapshot's XML form, the same tree as its JSON: a field is an element of its name, a list repeats the element
 * once per entry (no wrapper), a null is left out. With the JDK's StAX, so that no XML converter joins Spring MVC's
 * and changes what the REST API answers. Reading refuses DTDs and external entities.
 */
final class SnapshotXml {

    static final String ROOT = "ferryConfiguration";

    private SnapshotXml() {
    }

    static String write(JsonNode tree) {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter xml = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeCharacters("\n");
            xml.writeStartElement(ROOT);
            fields(xml, tree, 1);
            xml.writeCharacters("\n");
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("XML writing failed", e);
        }
        return out.toString() + "\n";
    }

    private static void fields(XMLStreamWriter xml, JsonNode node, int depth) throws XMLStreamException {
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            JsonNode value = field.getValue();
            if (value.isArray()) {
                for (JsonNode entry : value) {
                    element(xml, field.getKey(), entry, depth);
                }
            } else {
                element(xml, field.getKey(), value, depth);
            }
        }
    }

    private static void element(XMLStreamWriter xml, String name, JsonNode value, int depth) throws XMLStreamException {
        if (value == null || value.isNull()) {
            return;
        }
        xml.writeCharacters("\n" + "  ".repeat(depth));
        xml.writeStartElement(name);
        if (value.isObject()) {
            fields(xml, value, depth + 1);
            xml.writeCharacters("\n" + "  ".repeat(depth));
        } else {
            xml.writeCharacters(value.asString());
        }
        xml.writeEndElement();
    }

    /** The tree of an XML snapshot; an element that occurs more than once becomes a list. */
    static JsonNode read(String document) {
        XMLInputFactory factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        try {
            XMLStreamReader xml = factory.createXMLStreamReader(new StringReader(document));
            while (xml.hasNext() && xml.next() != XMLStreamConstants.START_ELEMENT) {
                // prolog, comments
            }
            if (!xml.isStartElement() || !ROOT.equals(xml.getLocalName())) {
                throw new IllegalArgumentException("not a Ferry configuration: the root element must be <" + ROOT + ">");
            }
            return object(xml);
        } catch (XMLStreamException e) {
            throw new IllegalArgumentException("not well-formed XML: " + e.getMessage());
        }
    }

    /** Reads the children of the current element up to its end; text-only elements become strings. */
    private static JsonNode object(XMLStreamReader xml) throws XMLStreamException {
        Map<String, List<JsonNode>> children = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder();
        while (xml.hasNext()) {
            int event = xml.next();
            if (event == XMLStreamConstants.START_ELEMENT) {
                String name = xml.getLocalName();
                children.computeIfAbsent(name, k -> new ArrayList<>()).add(object(xml));
            } else if (event == XMLStreamConstants.CHARACTERS || event == XMLStreamConstants.CDATA) {
                text.append(xml.getText());
            } else if (event == XMLStreamConstants.END_ELEMENT) {
                break;
            }
        }
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        if (children.isEmpty()) {
            return nodes.stringNode(text.toString());
        }
        ObjectNode object = nodes.objectNode();
        children.forEach((name, values) -> {
            if (values.size() == 1) {
                object.set(name, values.get(0));
            } else {
                object.set(name, nodes.arrayNode().addAll(values));
            }
        });
        return object;
    }
}
