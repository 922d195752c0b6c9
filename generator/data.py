"""Static tables behind the generated world: countries, trader names and addresses, goods
descriptions, sectors, carriers, airlines, hubs and routing.

Everything here is fictitious apart from public codes (UN/LOCODEs from the reference, HS codes
from the catalogue, carriers' SCAC codes, airlines' IATA designators and air waybill prefixes).
Trader names are built from neutral name parts that share no word with the watch list.
"""
from __future__ import annotations

# --------------------------------------------------------------------------------------------
# Money. Honest values are produced in EUR; a share of traders invoices in USD. The risk logic
# must convert with a rate like this one (fixed for the generated period).
FX_TO_EUR = {"EUR": 1.0, "USD": 0.92}
USD_INVOICING = {"US": 0.9, "CN": 0.25, "HK": 0.6, "TW": 0.4, "KR": 0.2, "VN": 0.3, "IN": 0.2,
                 "BD": 0.3, "EC": 0.6, "CO": 0.6, "CR": 0.6, "MX": 0.5, "BR": 0.3, "TH": 0.2,
                 "MY": 0.3, "ID": 0.3, "PK": 0.3, "CL": 0.3, "AR": 0.3}

# --------------------------------------------------------------------------------------------
# UTC offsets in November (standard time); used for the local time in DCSA eventDateTime.
UTC_OFFSET_MIN = {
    "CN": 480, "HK": 480, "SG": 480, "MY": 480, "TW": 480, "PH": 480, "VN": 420, "TH": 420,
    "ID": 420, "KH": 420, "KR": 540, "JP": 540, "IN": 330, "LK": 330, "BD": 360, "PK": 300,
    "AE": 240, "OM": 240, "SA": 180, "QA": 180, "EG": 120, "TR": 180, "MA": 60, "TN": 60,
    "GB": 0, "IE": 0, "PT": 0, "ES": 60, "FR": 60, "DE": 60, "NL": 60, "BE": 60, "IT": 60,
    "PL": 60, "SI": 60, "HR": 60, "MT": 60, "DK": 60, "SE": 60, "AT": 60, "CZ": 60, "HU": 60,
    "GR": 120, "RO": 120, "FI": 120, "LT": 120, "LV": 120, "EE": 120, "CY": 120, "BG": 120,
    "BR": -180, "AR": -180, "CL": -180, "UY": -180, "MX": -360, "PA": -300, "CO": -300,
    "EC": -300, "PE": -300, "CR": -360, "JM": -300, "ZA": 120, "KE": 180, "TZ": 180, "NG": 60,
    "MZ": 120, "SY": 180, "LB": 120, "RU": 180, "MM": 390, "YE": 180, "UA": 120,
}
US_PORT_OFFSET = {"USLAX": -480, "USLGB": -480, "USOAK": -480, "USSEA": -480, "USTIW": -480,
                  "USPDX": -480, "USHOU": -360, "USMSY": -360, "USMOB": -360}

# --------------------------------------------------------------------------------------------
# EU side: consignee countries (weight), cities (name, postcode pattern; '#' digit, 'A' letter),
# streets and address layout.
EU_COUNTRY_WEIGHTS = {"DE": 20, "FR": 13, "IT": 12, "NL": 10, "ES": 10, "PL": 8, "BE": 6, "AT": 3,
                      "CZ": 3, "SE": 3, "DK": 2, "PT": 2, "GR": 2, "IE": 2, "HU": 2, "RO": 2, "FI": 1}

CITIES = {
    "DE": [("Hamburg", "20###"), ("Bremen", "28###"), ("Duisburg", "47###"), ("Frankfurt am Main", "60###"),
           ("Muenchen", "80###"), ("Stuttgart", "70###"), ("Koeln", "50###"), ("Duesseldorf", "40###"),
           ("Hannover", "30###"), ("Leipzig", "04###"), ("Nuernberg", "90###")],
    "NL": [("Rotterdam", "30## AA"), ("Amsterdam", "10## AA"), ("Venlo", "59## AA"), ("Tilburg", "50## AA"),
           ("Eindhoven", "56## AA"), ("Utrecht", "35## AA")],
    "BE": [("Antwerpen", "20#0"), ("Gent", "90#0"), ("Brussel", "10#0"), ("Liege", "40#0"), ("Mechelen", "28#0")],
    "FR": [("Paris", "750##"), ("Lyon", "690##"), ("Marseille", "130##"), ("Lille", "590##"), ("Le Havre", "766##"),
           ("Rungis", "94150"), ("Toulouse", "310##"), ("Strasbourg", "670##")],
    "IT": [("Milano", "201##"), ("Torino", "101##"), ("Bologna", "401##"), ("Genova", "161##"), ("Napoli", "801##"),
           ("Padova", "351##"), ("Prato", "591##"), ("Verona", "371##")],
    "ES": [("Madrid", "280##"), ("Barcelona", "080##"), ("Valencia", "460##"), ("Sevilla", "410##"),
           ("Zaragoza", "500##"), ("Bilbao", "480##")],
    "PL": [("Warszawa", "0#-###"), ("Poznan", "6#-###"), ("Lodz", "9#-###"), ("Wroclaw", "5#-###"),
           ("Gdansk", "80-###"), ("Krakow", "3#-###")],
    "AT": [("Wien", "1##0"), ("Linz", "40#0"), ("Graz", "80#0"), ("Salzburg", "50#0")],
    "CZ": [("Praha", "1## 00"), ("Brno", "6## 00"), ("Ostrava", "7## 00")],
    "SE": [("Goteborg", "4## ##"), ("Stockholm", "1## ##"), ("Malmo", "2## ##")],
    "DK": [("Aarhus", "8###"), ("Kobenhavn", "2###"), ("Odense", "5###")],
    "PT": [("Lisboa", "1###-###"), ("Porto", "4###-###"), ("Braga", "47##-###")],
    "GR": [("Athina", "1## ##"), ("Thessaloniki", "5## ##"), ("Pireas", "18# ##")],
    "IE": [("Dublin", "D## A#A#"), ("Cork", "T## A#A#")],
    "HU": [("Budapest", "1###"), ("Debrecen", "40##"), ("Gyor", "90##")],
    "RO": [("Bucuresti", "0#####"), ("Constanta", "900###"), ("Cluj-Napoca", "400###")],
    "FI": [("Helsinki", "00###"), ("Vantaa", "01###"), ("Tampere", "33###")],
    # exporters
    "CN": [("Shenzhen", "518###"), ("Guangzhou", "510###"), ("Dongguan", "523###"), ("Ningbo", "315###"),
           ("Yiwu", "322###"), ("Shanghai", "200###"), ("Xiamen", "361###"), ("Qingdao", "266###"),
           ("Tianjin", "300###"), ("Suzhou", "215###"), ("Hangzhou", "310###"), ("Foshan", "528###")],
    "HK": [("Kwun Tong", ""), ("Tsuen Wan", ""), ("Kowloon Bay", ""), ("Sheung Wan", "")],
    "VN": [("Ho Chi Minh City", "700000"), ("Hai Phong", "180000"), ("Binh Duong", "820000"), ("Da Nang", "550000"),
           ("Ha Noi", "100000")],
    "IN": [("Mumbai", "400###"), ("Chennai", "600###"), ("Tiruppur", "641###"), ("Ludhiana", "141###"),
           ("Ahmedabad", "380###"), ("Kolkata", "700###"), ("Kochi", "682###"), ("Bengaluru", "560###"),
           ("Surat", "395###"), ("Hyderabad", "500###")],
    "TR": [("Istanbul", "34###"), ("Izmir", "35###"), ("Bursa", "16###"), ("Denizli", "20###"),
           ("Gaziantep", "27###"), ("Kayseri", "38###"), ("Mersin", "33###")],
    "US": [("Los Angeles, CA", "900##"), ("Houston, TX", "770##"), ("Newark, NJ", "071##"), ("Savannah, GA", "314##"),
           ("Chicago, IL", "606##"), ("Atlanta, GA", "303##"), ("Seattle, WA", "981##"), ("Miami, FL", "331##"),
           ("Charlotte, NC", "282##")],
    "BR": [("Santos - SP", "110##-###"), ("Sao Paulo - SP", "0####-###"), ("Curitiba - PR", "80###-###"),
           ("Porto Alegre - RS", "90###-###"), ("Belo Horizonte - MG", "30###-###"), ("Vitoria - ES", "29###-###")],
    "JP": [("Tokyo", "1##-####"), ("Osaka", "5##-####"), ("Nagoya", "4##-####"), ("Yokohama", "2##-####"),
           ("Kobe", "65#-####"), ("Hamamatsu", "43#-####")],
    "KR": [("Seoul", "0####"), ("Busan", "4####"), ("Incheon", "2####"), ("Ulsan", "44###"), ("Changwon", "51###")],
    "TW": [("Taipei", "1##"), ("Kaohsiung", "8##"), ("Taichung", "4##"), ("Hsinchu", "30#")],
    "MX": [("Monterrey, N.L.", "64###"), ("Guadalajara, Jal.", "44###"), ("Queretaro, Qro.", "76###"),
           ("Puebla, Pue.", "72###"), ("Saltillo, Coah.", "25###")],
    "TH": [("Bangkok", "10###"), ("Chonburi", "20###"), ("Samut Prakan", "10###"), ("Rayong", "21###")],
    "MY": [("Penang", "1####"), ("Kuala Lumpur", "5####"), ("Johor Bahru", "8####"), ("Shah Alam", "40###")],
    "ID": [("Jakarta", "1####"), ("Surabaya", "60###"), ("Semarang", "50###"), ("Bandung", "40###")],
    "BD": [("Dhaka", "12##"), ("Chattogram", "4###"), ("Gazipur", "17##"), ("Narayanganj", "14##")],
    "PK": [("Karachi", "7####"), ("Lahore", "54###"), ("Faisalabad", "38###"), ("Sialkot", "51###")],
    "KH": [("Phnom Penh", "12###"), ("Sihanoukville", "18###")],
    "EC": [("Guayaquil", "090###"), ("Machala", "070###"), ("Quito", "170###")],
    "CO": [("Medellin", "050###"), ("Bogota", "110###"), ("Santa Marta", "470###"), ("Cali", "760###")],
    "CR": [("San Jose", "10###"), ("Limon", "70###")],
    "CL": [("Santiago", "83#####"), ("Rancagua", "28#####"), ("Talca", "34#####")],
    "AR": [("Mendoza", "M55##AAA"), ("San Juan", "J54##AAA")],
    "ZA": [("Cape Town", "8###"), ("Stellenbosch", "76##"), ("Durban", "40##"), ("Johannesburg", "20##")],
    "MA": [("Tanger", "90###"), ("Casablanca", "20###"), ("Kenitra", "14###")],
    "TN": [("Tunis", "10##"), ("Sousse", "40##"), ("Monastir", "50##")],
    "GB": [("Birmingham", "B## #AA"), ("Manchester", "M## #AA"), ("Leeds", "LS## #AA"), ("Hull", "HU# #AA"),
           ("London", "E## #AA")],
    "EG": [("Alexandria", "21###"), ("Cairo", "11###"), ("Port Said", "42###")],
    "KE": [("Mombasa", "80###"), ("Nairobi", "00###")],
    "TZ": [("Dar es Salaam", "11###")],
    "NG": [("Lagos", "10####")],
    "MZ": [("Maputo", "11##")],
    "YE": [("Sanaa", ""), ("Aden", "")],
    "SY": [("Damascus", ""), ("Aleppo", "")],
    "PE": [("Lima", "15###")],
    "AE": [("Dubai", ""), ("Sharjah", "")],
    "OM": [("Muscat", "1##")],
    "SA": [("Jeddah", "2####")],
    "LB": [("Beirut", "11## ####")],
    "GE": [("Tbilisi", "01##")],
    "RU": [("Sankt-Peterburg", "19####"), ("Kaliningrad", "236###")],
    "MM": [("Yangon", "11###")],
    "KP": [("Pyongyang", "")],
    "PA": [("Colon", ""), ("Panama City", "")],
    "IR": [("Tehran", "1####-#####"), ("Bandar Abbas", "79###")],
    "CY": [("Limassol", "3###"), ("Larnaca", "6###")],
}

STREETS = {
    "DE": ["Hafenstrasse", "Industriestrasse", "Bahnhofstrasse", "Am Kanal", "Lagerweg", "Gewerbering", "Lindenallee"],
    "NL": ["Havenweg", "Industrieweg", "Stationsweg", "Transportweg", "Nijverheidsstraat", "Kanaalkade"],
    "BE": ["Industrieweg", "Havenlaan", "Noorderlaan", "Kapelsestraat", "Brusselsesteenweg"],
    "FR": ["rue de la Republique", "avenue Jean Jaures", "rue du Port", "boulevard Gambetta", "rue des Entrepreneurs",
           "zone d'activites des Pins"],
    "IT": ["Via Roma", "Via dell'Industria", "Via Garibaldi", "Via del Porto", "Corso Italia", "Via dell'Artigianato"],
    "ES": ["Calle Mayor", "Avenida de la Industria", "Calle del Puerto", "Poligono Industrial Las Mercedes, Calle B",
           "Avenida Diagonal"],
    "PL": ["ul. Przemyslowa", "ul. Portowa", "ul. Marszalkowska", "ul. Logistyczna", "ul. Fabryczna"],
    "AT": ["Industriestrasse", "Hauptstrasse", "Lagerhausstrasse", "Gewerbepark"],
    "CZ": ["Prumyslova", "Skladova", "Namesti Miru", "Technicka"],
    "SE": ["Hamngatan", "Industrivagen", "Storgatan", "Lagervagen"],
    "DK": ["Havnegade", "Industrivej", "Lagervej", "Hovedgaden"],
    "PT": ["Rua do Porto", "Avenida da Liberdade", "Rua Industrial", "Zona Industrial, Lote"],
    "GR": ["Odos Ermou", "Leoforos Syngrou", "Odos Limani", "Odos Viomichanias"],
    "IE": ["Dock Road", "Industrial Estate", "Main Street", "Harbour Road"],
    "HU": ["Ipari ut", "Raktar utca", "Fo utca", "Vaci ut"],
    "RO": ["Strada Industriilor", "Bulevardul Unirii", "Strada Portului", "Calea Victoriei"],
    "FI": ["Satamakatu", "Teollisuustie", "Varastotie", "Mannerheimintie"],
    "CN": ["Jinqiao Road", "Zhongshan Road", "Keji Road", "Binhai Avenue", "Xinhua Road", "Gongye Road",
           "Huancheng Road"],
    "HK": ["Hoi Bun Road", "Wang Chiu Road", "Castle Peak Road", "Des Voeux Road"],
    "VN": ["Nguyen Van Linh Street", "Le Loi Street", "Tran Hung Dao Street", "Road 5, Tan Binh Industrial Park"],
    "IN": ["MIDC Industrial Area", "SIPCOT Industrial Estate", "GIDC Estate", "Phase II Industrial Area",
           "Ring Road"],
    "TR": ["Organize Sanayi Bolgesi", "Ataturk Caddesi", "Sanayi Caddesi", "Liman Yolu"],
    "US": ["Commerce Drive", "Industrial Parkway", "Harbor Blvd", "Main Street", "Logistics Way"],
    "BR": ["Rua das Industrias", "Avenida Brasil", "Rua do Comercio", "Rodovia Anchieta km 12"],
    "JP": ["Minatomachi", "Shinkiba", "Kaigan-dori", "Chuo"],
    "KR": ["Gongdan-ro", "Haean-daero", "Sandan-ro", "Teheran-ro"],
    "TW": ["Zhonghua Road", "Chenggong Road", "Guangfu Road"],
    "MX": ["Avenida Industrial", "Boulevard Constitucion", "Calle Norte", "Parque Industrial Stiva"],
    "TH": ["Sukhumvit Road", "Bangna-Trad Road", "Laem Chabang Industrial Estate"],
    "MY": ["Jalan Perusahaan", "Jalan Industri", "Bayan Lepas Free Industrial Zone"],
    "ID": ["Jalan Raya Industri", "Kawasan Industri Pulogadung", "Jalan Rungkut"],
    "BD": ["Dhaka EPZ", "Tongi Industrial Area", "Kalurghat Heavy Industrial Area"],
    "PK": ["SITE Industrial Area", "Korangi Industrial Area", "Sundar Industrial Estate"],
    "KH": ["National Road 4", "Phnom Penh SEZ"],
    "EC": ["Km 7.5 Via a Daule", "Avenida Juan Tanca Marengo", "Parque Industrial Inmaconsa"],
    "CO": ["Carrera 50", "Calle 10", "Zona Franca"],
    "CR": ["Zona Franca Coyol", "Ruta 32"],
    "CL": ["Avenida Kennedy", "Camino a Melipilla", "Ruta 5 Sur km 250"],
    "AR": ["Ruta Provincial 15", "Calle San Martin"],
    "ZA": ["Voortrekker Road", "Main Road", "Dock Road"],
    "MA": ["Zone Franche Tanger Automotive City", "Boulevard Mohammed V", "Zone Industrielle Gzenaya"],
    "TN": ["Zone Industrielle Charguia", "Avenue Habib Bourguiba", "Route de Sousse"],
    "GB": ["Trafford Park Road", "Hedon Road", "Kingsway", "Industrial Estate"],
    "EG": ["El Horreya Road", "Industrial Zone 3", "Port Said Street"],
    "KE": ["Moi Avenue", "Mombasa Road"],
    "TZ": ["Nyerere Road"],
    "NG": ["Apapa Road", "Creek Road"],
    "MZ": ["Avenida 25 de Setembro"],
    "YE": ["Hadda Street", "Al-Zubairi Street"],
    "SY": ["Baghdad Street", "Port Street"],
    "PE": ["Avenida Argentina"],
    "AE": ["Jebel Ali Free Zone", "Al Khan Street"],
    "OM": ["Al Khuwair Street"],
    "SA": ["King Abdulaziz Road"],
    "LB": ["Rue du Port", "Charles Helou Avenue"],
    "GE": ["Rustaveli Avenue"],
    "RU": ["ul. Odoevskogo", "Nevsky prospekt", "Portovaya ul."],
    "MM": ["Strand Road", "Bogyoke Aung San Road"],
    "KP": ["Sungri Street"],
    "PA": ["Calle 16, Zona Libre", "Avenida Balboa"],
    "IR": ["Valiasr Street", "Enghelab Street"],
    "CY": ["Franklin Roosevelt Avenue", "Makariou III Avenue"],
}

# How an address is written: {n} number, {street}, {city}, {pc} postcode.
ADDRESS_LAYOUT = {
    "DE": "{street} {n}, {pc} {city}", "NL": "{street} {n}, {pc} {city}", "BE": "{street} {n}, {pc} {city}",
    "FR": "{n} {street}, {pc} {city}", "IT": "{street} {n}, {pc} {city}", "ES": "{street} {n}, {pc} {city}",
    "PL": "{street} {n}, {pc} {city}", "AT": "{street} {n}, {pc} {city}", "CZ": "{street} {n}, {pc} {city}",
    "SE": "{street} {n}, {pc} {city}", "DK": "{street} {n}, {pc} {city}", "PT": "{street} {n}, {pc} {city}",
    "GR": "{street} {n}, {pc} {city}", "IE": "{n} {street}, {city} {pc}", "HU": "{pc} {city}, {street} {n}",
    "RO": "{street} {n}, {city} {pc}", "FI": "{street} {n}, {pc} {city}",
    "CN": "No. {n} {street}, {city} {pc}", "HK": "Unit {n}, {street}, {city}, Hong Kong",
    "VN": "{n} {street}, {city}", "IN": "Plot {n}, {street}, {city} {pc}", "TR": "{street} No:{n}, {pc} {city}",
    "US": "{n} {street}, {city} {pc}", "BR": "{street}, {n}, {city}, {pc}", "JP": "{n}-{n2} {street}, {city} {pc}",
    "KR": "{n} {street}, {city} {pc}", "TW": "No. {n}, {street}, {city} {pc}", "MX": "{street} {n}, {pc} {city}",
    "TH": "{n} {street}, {city} {pc}", "MY": "{n} {street}, {pc} {city}", "ID": "{street} No. {n}, {city} {pc}",
    "BD": "Plot {n}, {street}, {city} {pc}", "PK": "Plot {n}, {street}, {city}", "KH": "{street}, {city}",
    "EC": "{street} {n}, {city}", "CO": "{street} # {n}-{n2}, {city}", "CR": "{street}, {city}",
    "CL": "{street} {n}, {city}", "AR": "{street} {n}, {city}", "ZA": "{n} {street}, {city} {pc}",
    "MA": "{street}, lot {n}, {city}", "TN": "{street} {n}, {pc} {city}", "GB": "Unit {n}, {street}, {city} {pc}",
}

# --------------------------------------------------------------------------------------------
# Trader names. Legal forms by country; first words (family names, places, invented marks).
LEGAL_FORMS = {
    "DE": ["GmbH", "GmbH", "GmbH & Co. KG", "AG"], "NL": ["B.V.", "B.V.", "N.V."], "BE": ["BV", "NV", "SRL"],
    "FR": ["SAS", "SARL", "S.A."], "IT": ["S.r.l.", "S.r.l.", "S.p.A."], "ES": ["S.L.", "S.L.", "S.A."],
    "PL": ["Sp. z o.o.", "Sp. z o.o.", "S.A."], "AT": ["GmbH"], "CZ": ["s.r.o.", "a.s."], "SE": ["AB"],
    "DK": ["A/S", "ApS"], "PT": ["Lda.", "S.A."], "GR": ["S.A.", "Ltd"], "IE": ["Ltd", "DAC"],
    "HU": ["Kft.", "Zrt."], "RO": ["S.R.L."], "FI": ["Oy", "Oyj"],
    "CN": ["Co., Ltd."], "HK": ["Limited", "Co., Limited"], "VN": ["Co., Ltd", "Joint Stock Company"],
    "IN": ["Pvt. Ltd.", "Private Limited"], "TR": ["San. ve Tic. A.S.", "A.S.", "Ltd. Sti."],
    "US": ["Inc.", "Corp.", "Inc."], "BR": ["Ltda.", "S.A."], "JP": ["Co., Ltd.", "K.K."], "KR": ["Co., Ltd."],
    "TW": ["Co., Ltd.", "Corp."], "MX": ["S.A. de C.V."], "TH": ["Co., Ltd.", "Public Co., Ltd."],
    "MY": ["Sdn. Bhd."], "ID": ["Tbk"], "BD": ["Ltd."], "PK": ["(Pvt) Ltd."], "KH": ["Co., Ltd."],
    "EC": ["S.A.", "Cia. Ltda."], "CO": ["S.A.S."], "CR": ["S.A."], "CL": ["S.A.", "SpA"], "AR": ["S.A."],
    "ZA": ["(Pty) Ltd"], "MA": ["SARL", "S.A."], "TN": ["SARL", "S.A."], "GB": ["Ltd", "plc"],
    "EG": ["S.A.E."], "KE": ["Ltd"], "TZ": ["Ltd"], "NG": ["Ltd"], "MZ": ["Lda."], "YE": ["Est."],
    "SY": ["Est."], "PE": ["S.A.C."], "OM": ["SAOC"], "SA": ["Est."], "LB": ["SAL"], "GE": ["LLC"],
    "AE": ["FZCO", "DMCC", "L.L.C."],
}

NAME_WORDS = {
    "DE": ["Nordmann", "Rheinland", "Bergmann", "Weser", "Elbtal", "Brandt", "Keller", "Hofmann", "Lindner",
           "Alster", "Taunus", "Wendland", "Harzer", "Vogt", "Ostwald"],
    "NL": ["Van Dijk", "De Vries", "Zuiderzee", "Bakker", "Maasland", "Veldhuis", "Kempen", "Brabant",
           "Van Leeuwen", "Dekker", "Waterland"],
    "BE": ["Vandenberghe", "Schelde", "Peeters", "Flandria", "Janssens", "Ardennes", "Maes", "Lambrecht", "Kempense"],
    "FR": ["Dupont", "Lefebvre", "Rhone", "Provence", "Bretagne", "Moreau", "Girard", "Loire", "Garnier", "Vidal"],
    "IT": ["Rossi", "Bianchi", "Lombarda", "Adriatica", "Esposito", "Romano", "Tirreno", "Colombo", "Veneta",
           "Martinelli", "Brenta"],
    "ES": ["Garcia", "Iberica", "Levante", "Martinez", "Cantabria", "Navarro", "Andaluza", "Lopez", "Ebro",
           "Castellana"],
    "PL": ["Kowalski", "Nowak", "Wisla", "Mazowsze", "Pomorze", "Lewandowski", "Karpaty", "Slask", "Warta"],
    "AT": ["Huber", "Donau", "Tirol", "Gruber", "Steiner", "Alpin", "Wachau"],
    "CZ": ["Novak", "Vltava", "Morava", "Dvorak", "Bohemia", "Svoboda"],
    "SE": ["Lindqvist", "Norrland", "Svensson", "Vanern", "Dalarna", "Berglund"],
    "DK": ["Jensen", "Nielsen", "Jylland", "Sonderborg", "Kattegat"],
    "PT": ["Silva", "Lusitana", "Douro", "Ferreira", "Tejo", "Minho"],
    "GR": ["Papadopoulos", "Aegean", "Hellas", "Nikolaou", "Olympos", "Thermaikos"],
    "IE": ["Murphy", "O'Brien", "Shannon", "Liffey", "Kelly", "Wicklow"],
    "HU": ["Nagy", "Duna", "Kovacs", "Tisza", "Balaton"],
    "RO": ["Popescu", "Carpati", "Dunarea", "Ionescu", "Muntenia"],
    "FI": ["Virtanen", "Saimaa", "Korhonen", "Karelia"],
    "CN": ["Huaxin", "Jinhong", "Tiansheng", "Kangyuan", "Fengrui", "Hengtai", "Longmei", "Boyuan", "Haicheng",
           "Yili", "Dafu", "Xinyu", "Ruixiang", "Zhongda", "Hongfa", "Minghui", "Shengda", "Tianyi", "Jiahe",
           "Weilong", "Anxin", "Baoli", "Chuangxin", "Deli", "Guanghua", "Huafeng", "Jiuzhou", "Kaida"],
    "HK": ["Kowloon Bay", "Wing Fat", "Tai Hing", "Man Shing", "Kin Wah", "Fook Lee", "Chung Kee"],
    "VN": ["Viet Tien", "Phuong Nam", "Thanh Cong", "Hoa Binh", "Minh Anh", "Tan Phat", "An Phu", "Hung Thinh",
           "Sai Gon", "Truong Son", "Bach Dang", "Hong Ha"],
    "IN": ["Shree Ganesh", "Sai Krishna", "Bharat", "Jain", "Mehta", "Raghav", "Vardhman", "Sundaram", "Arvind",
           "Kaveri", "Narmada", "Patel", "Ashoka", "Deccan", "Malabar", "Shakti"],
    "TR": ["Ozdemir", "Akin", "Demirel", "Karadeniz", "Anadolu", "Ege", "Marmara", "Kaya", "Aslan", "Tekin",
           "Erdem", "Toros", "Kapadokya", "Uludag"],
    "US": ["Blue Ridge", "Lakeside", "Summit", "Redwood", "Great Plains", "Hudson", "Cascade", "Liberty",
           "Granite", "Prairie", "Evergreen Valley", "Ozark"],
    "BR": ["Santa Clara", "Bandeirantes", "Serra Verde", "Vale do Sul", "Cerrado", "Rio Branco", "Mantiqueira",
           "Paulista", "Tres Pontas"],
    "JP": ["Daiwa", "Kawamura", "Yamato", "Fujimoto", "Tokai", "Chubu", "Kansai", "Sanyo Kogyo", "Takahashi"],
    "KR": ["Hanil", "Daesung", "Seojin", "Dongbang", "Samyang", "Hyosan", "Jinwoo", "Haesung", "Saehan"],
    "TW": ["Chun Hsin", "Kuo Feng", "Hsin Yu", "Ming Tai", "Yung Chang", "Chia Hsin"],
    "MX": ["Norteno", "Del Bajio", "Regiomontana", "Sierra Madre", "Anahuac", "Garza", "Villarreal", "Huasteca"],
    "TH": ["Siam Rattana", "Chai Charoen", "Thai Prasert", "Chao Phraya", "Lanna"],
    "MY": ["Permata", "Sinar Jaya", "Teguh", "Cahaya", "Seri Wangsa"],
    "ID": ["Maju Bersama", "Karya Abadi", "Sumber Rejeki", "Nusantara Jaya", "Mitra Sejati"],
    "BD": ["Padma", "Meghna", "Karnaphuli", "Rupsha", "Shapla", "Jamuna"],
    "PK": ["Indus", "Ravi", "Chenab", "Margalla", "Mehran", "Sheikh", "Qureshi", "Jhelum", "Potohar"],
    "KH": ["Mekong", "Angkor", "Tonle", "Kampot", "Bayon", "Preah"],
    "EC": ["Hacienda San Rafael", "Los Rios", "El Oro", "Guayas"],
    "CO": ["Huila", "Uraba", "Valle del Cauca", "Sierra Nevada"],
    "CR": ["Sarapiqui", "Talamanca", "Matina", "Guapiles", "Siquirres", "Tortuguero"],
    "CL": ["Los Andes", "Valle Central", "Cordillera", "Maipo", "Colchagua"],
    "AR": ["Cuyo", "Lujan", "Altos del Valle", "Uco", "Maipu", "Tupungato", "Cafayate"],
    "ZA": ["Cape Vineyards", "Highveld", "Karoo", "Drakensberg", "Boland"],
    "MA": ["Atlas", "Rif", "Souss", "Bouregreg"],
    "TN": ["Medjerda", "Carthage", "Sahel", "Cap Bon"],
    "GB": ["Pennine", "Thames Valley", "Cotswold", "Midlands", "Severn", "Humber"],
    "EG": ["Nile Valley", "Pharos", "Mariout", "Mansour", "Gamal", "Sinai", "Fayoum", "El Sewedy Bros", "Helwan"],
    "KE": ["Kilindini", "Tana River", "Rift Valley", "Kamau", "Otieno", "Mwangi", "Lamu"],
    "TZ": ["Kilimanjaro", "Zanzibar Coast", "Msasani", "Rufiji", "Mwamba"],
    "NG": ["Lekki", "Niger Basin", "Okafor", "Adeyemi", "Ikeja", "Calabar"],
    "MZ": ["Limpopo", "Zambezi", "Machava", "Inhambane", "Matola"],
    "YE": ["Bin Saleh", "Hadramout", "Saba", "Mukalla", "Shibam", "Tihama", "Bawazir", "Haddad", "Maarib",
           "Bin Mahfouz"],
    "SY": ["Qasioun", "Barada", "Ugarit", "Orontes", "Hamwi", "Jabali", "Kassab", "Halabi", "Tadmur"],
    "PE": ["Callao Andina", "Inca"],
    "OM": ["Dhofar", "Batinah"],
    "SA": ["Hejaz", "Red Sea Coast"],
    "LB": ["Cedars", "Byblos"],
    "GE": ["Kakheti", "Mtkvari"],
    "AE": ["Jumeirah", "Deira", "Creekside", "Palm Coast", "Hatta"],
}

# Syllables of coined trade marks ("Velmaro", "Jinkangda"): when a country's name words are
# crowded, a new trader takes a mark of 2, 3, 4... syllables, so names never run out.
COINED_SYLLABLES = {
    "east": ["an", "bao", "cheng", "da", "fu", "hao", "jin", "kang", "li", "long", "ming", "nan", "ping", "rui",
             "sheng", "tai", "wei", "xin", "yang", "zhi"],
    "latin": ["ba", "co", "da", "fe", "ga", "la", "li", "lo", "ma", "mi", "na", "no", "ra", "ri", "ro", "sa", "ta",
              "te", "va", "ve"],
    "north": ["berg", "dal", "fel", "ha", "ken", "lin", "mar", "nor", "ost", "rei", "sten", "tor", "vik", "wal",
              "an", "el", "ing", "ro", "sa", "ven"],
}
COINED_STYLE = {"CN": "east", "HK": "east", "TW": "east", "VN": "east", "KR": "east", "JP": "east", "TH": "east",
                "DE": "north", "NL": "north", "BE": "north", "AT": "north", "SE": "north", "DK": "north",
                "FI": "north", "GB": "north", "IE": "north", "PL": "north", "CZ": "north", "HU": "north"}

INDUSTRY_WORDS = {
    "electronics": ["Electronics", "Electronic Technology", "Digital Technology", "Tech"],
    "mobile": ["Communication Technology", "Mobile Technology", "Telecom Equipment"],
    "printing": ["Office Supplies", "Imaging Technology", "Printing Consumables"],
    "apparel": ["Garments", "Textile", "Apparel", "Fashion", "Knitwear"],
    "footwear": ["Shoes", "Leather Goods", "Footwear"],
    "watches": ["Watch", "Timepieces", "Horology"],
    "cosmetics": ["Cosmetics", "Beauty", "Personal Care"],
    "pharma": ["Healthcare", "Laboratories", "Medical Supplies", "Life Sciences"],
    "toys": ["Toys", "Plastic Products", "Playthings"],
    "furniture": ["Furniture", "Woodworks", "Home Furnishing"],
    "auto": ["Auto Parts", "Automotive Components", "Machinery", "Engineering"],
    "steel": ["Steel", "Metal Products", "Metals", "Iron and Steel"],
    "packaging": ["Packaging", "Paper Products", "Carton"],
    "coffee": ["Coffee", "Cafe", "Agro"],
    "fruit": ["Fruit", "Agricola", "Fresh Produce"],
    "seafood": ["Seafood", "Aquaculture", "Frozen Foods"],
    "wine": ["Wines", "Vineyards", "Wine Estates"],
    "staples": ["Foods", "Agro Industries", "Rice Mills", "Sugar"],
    "cotton": ["Cotton", "Fibres", "Ginning"],
    "oils": ["Lubricants", "Petroleum Products", "Oil Products"],
    "carbon": ["Carbon Materials", "Industrial Materials"],
    "tobacco": ["Cigarette Manufacturing", "Cigarette Industries"],
    "ecommerce": ["E-commerce", "Online Retail", "Digital Commerce", "Cross-border Commerce"],
    "general": ["Commercial", "Industries", "Enterprises", "International", "Group"],
    "fertiliser": ["Fertilisers", "Agro Inputs", "Agrochem"],
    "chem": ["Industrial Materials", "Chemie", "Process Materials"],
    "lab": ["Laboratories", "Fine Ingredients", "Biotech"],
    "mining": ["Mining Supplies", "Blasting Services", "Quarry Supplies"],
    "defence": ["Defence Systems", "Sporting Arms", "Outdoor Sports"],
    "crafts": ["Crafts", "Curios", "Art Gallery"],
}

# EU importers name themselves after what they buy.
IMPORTER_WORDS = {
    "electronics": ["Electronics", "IT Distribution", "Consumer Electronics"], "mobile": ["Mobile", "Telecom"],
    "printing": ["Office Products", "Office Supplies"], "apparel": ["Fashion", "Textiles", "Apparel"],
    "footwear": ["Shoes", "Leather Goods"], "watches": ["Watches", "Jewellery"], "cosmetics": ["Cosmetics", "Beauty"],
    "pharma": ["Healthcare", "Medical"], "toys": ["Toys", "Toys & Games"], "furniture": ["Furniture", "Interiors"],
    "auto": ["Automotive", "Auto Parts", "Spare Parts Distribution"],
    "steel": ["Steel Service", "Metals", "Steel Trade"],
    "packaging": ["Packaging", "Packaging Solutions"], "coffee": ["Coffee Roasters", "Coffee"],
    "fruit": ["Fruit", "Fresh"], "seafood": ["Seafood", "Frozen Foods"], "wine": ["Wines", "Wine Merchants"],
    "staples": ["Foods", "Food Ingredients"],
    "cotton": ["Spinning Mills", "Yarns"], "oils": ["Lubricants", "Oil Products"], "carbon": ["Rubber Compounds"],
    "tobacco": ["Tobacco Retail Supply", "Smoking Goods"],
}

# Importers' trade in their own language, where a name often says it (used half of the time).
LOCAL_IMPORTER_WORDS = {
    "DE": {"printing": ["Buerobedarf"], "toys": ["Spielwaren"], "auto": ["Autoteile"], "steel": ["Stahlhandel"],
           "packaging": ["Verpackungen"], "coffee": ["Kaffeeroesterei"], "tobacco": ["Tabakwaren"],
           "apparel": ["Modehandel"], "furniture": ["Moebelhandel"], "footwear": ["Schuhhandel"]},
    "AT": {"printing": ["Buerobedarf"], "toys": ["Spielwaren"], "auto": ["Autoteile"], "steel": ["Stahlhandel"],
           "coffee": ["Kaffeeroesterei"], "apparel": ["Modehandel"], "furniture": ["Moebelhandel"]},
    "IT": {"apparel": ["Moda"], "furniture": ["Arredamenti"], "auto": ["Ricambi Auto"], "toys": ["Giocattoli"],
           "wine": ["Vini"], "coffee": ["Torrefazione"], "footwear": ["Calzature"], "steel": ["Acciai"]},
    "FR": {"apparel": ["Mode"], "toys": ["Jouets"], "auto": ["Pieces Auto"], "wine": ["Vins"], "furniture": ["Meubles"],
           "coffee": ["Torrefaction"], "footwear": ["Chaussures"]},
    "ES": {"apparel": ["Moda"], "toys": ["Juguetes"], "auto": ["Recambios"], "wine": ["Vinos"],
           "furniture": ["Muebles"],
           "footwear": ["Calzados"], "fruit": ["Frutas"]},
    "NL": {"apparel": ["Mode"], "toys": ["Speelgoed"], "auto": ["Auto-onderdelen"], "furniture": ["Meubelen"],
           "fruit": ["Fruit Import"]},
    "PL": {"apparel": ["Moda"], "auto": ["Czesci Samochodowe"], "furniture": ["Meble"], "steel": ["Stal"]},
}

FORWARDER_WORDS = ["Freight Services", "Forwarding", "Cargo", "Customs Services", "Air & Sea", "Global Forwarding",
                   "Freight"]
# Forwarders' own word, placed before the family name where the language does.
LOCAL_FORWARDER_WORDS = {"DE": ("{w} Spedition", 0.6), "AT": ("{w} Spedition", 0.6), "NL": ("{w} Expeditie", 0.4),
                         "BE": ("{w} Expeditie", 0.4), "FR": ("Transports {w}", 0.5), "IT": ("Spedizioni {w}", 0.6),
                         "ES": ("Transitarios {w}", 0.5), "PT": ("Transitarios {w}", 0.5), "PL": ("Spedycja {w}", 0.5)}

FIRST_NAMES = {
    "DE": ["Lukas", "Anna", "Jonas", "Laura", "Felix", "Lea", "Max", "Sophie", "Paul", "Marie"],
    "FR": ["Lucas", "Emma", "Hugo", "Chloe", "Louis", "Ines", "Jules", "Camille", "Arthur", "Lea"],
    "IT": ["Marco", "Giulia", "Luca", "Sofia", "Andrea", "Chiara", "Matteo", "Francesca", "Davide"],
    "NL": ["Daan", "Emma", "Sem", "Julia", "Lars", "Sanne", "Bram", "Fleur", "Thijs"],
    "ES": ["Pablo", "Lucia", "Hugo", "Marta", "Alvaro", "Paula", "Javier", "Elena", "Sergio"],
    "PL": ["Jakub", "Zuzanna", "Kacper", "Julia", "Piotr", "Anna", "Tomasz", "Magdalena"],
    "BE": ["Noah", "Louise", "Arthur", "Elise", "Lars", "Marie", "Wout", "Fien"],
    "AT": ["Tobias", "Lena", "Florian", "Hannah", "Stefan", "Katharina"],
    "CZ": ["Jan", "Tereza", "Petr", "Eliska", "Tomas", "Lucie"],
    "SE": ["Erik", "Elsa", "Oskar", "Maja", "Johan", "Ebba"],
    "DK": ["Mads", "Ida", "Rasmus", "Freja", "Mikkel", "Sofie"],
    "PT": ["Joao", "Beatriz", "Tiago", "Ines", "Rui", "Mariana"],
    "GR": ["Giorgos", "Maria", "Nikos", "Eleni", "Kostas", "Katerina"],
    "IE": ["Sean", "Aoife", "Conor", "Niamh", "Darragh", "Ciara"],
    "HU": ["Balazs", "Anna", "Gergely", "Eszter", "Zoltan", "Reka"],
    "RO": ["Andrei", "Ioana", "Mihai", "Elena", "Cristian", "Ana"],
    "FI": ["Mikko", "Aino", "Juho", "Emilia", "Antti", "Venla"],
}
LAST_NAMES = {
    "DE": ["Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Koch"],
    "FR": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"],
    "IT": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino"],
    "NL": ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer"],
    "ES": ["Garcia", "Rodriguez", "Gonzalez", "Fernandez", "Lopez", "Martinez", "Sanchez", "Perez"],
    "PL": ["Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kowalczyk", "Kaminski", "Lewandowski"],
    "BE": ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Dubois"],
    "AT": ["Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner"],
    "CZ": ["Novak", "Svoboda", "Novotny", "Dvorak", "Cerny", "Prochazka"],
    "SE": ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson"],
    "DK": ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen"],
    "PT": ["Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa"],
    "GR": ["Papadopoulos", "Georgiou", "Dimitriou", "Nikolaou", "Ioannou", "Vlachos"],
    "IE": ["Murphy", "Kelly", "Byrne", "Ryan", "Walsh", "O'Connor"],
    "HU": ["Nagy", "Kovacs", "Toth", "Szabo", "Horvath", "Varga"],
    "RO": ["Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Stoica"],
    "FI": ["Korhonen", "Virtanen", "Makinen", "Nieminen", "Hamalainen", "Laine"],
}

# --------------------------------------------------------------------------------------------
# Goods. Trade descriptions per HS6 (honest traffic), FCL mass range (kg) for a 20'/40' box,
# and the ISO size-type code of the box.
DESCRIPTIONS = {
    "847130": ["Laptop computers 15.6 inch", "Notebook computers 14 inch with chargers", "Portable computers (laptops)",
               "Chromebook laptops 11.6 inch"],
    "847330": ["Computer parts: motherboards", "Keyboards and mice for computers", "Laptop replacement screens",
               "Computer cooling fans and brackets"],
    "844399": ["Toner cartridges for laser printers", "Ink cartridges for inkjet printers",
               "Compatible toner cartridges, black", "Printer drum units"],
    "851712": ["Smartphones 6.5 inch, 128 GB", "Mobile phones with accessories", "Mobile telephones, feature phones",
               "Cellular phones, refurbished grade A"],
    "852872": ["LED television sets 55 inch", "Smart TV 43 inch", "Colour television receivers 32 inch"],
    "850760": ["Lithium-ion battery packs for e-bikes", "Li-ion rechargeable cells 18650",
               "Lithium-ion batteries for power tools"],
    "854231": ["Integrated circuits (microprocessors)", "Microcontroller ICs on reels", "Processor chips in trays"],
    "610910": ["Cotton T-shirts, men's, knitted", "Ladies' cotton T-shirts, printed",
               "T-shirts 100% cotton, assorted sizes"],
    "620342": ["Men's cotton trousers (denim jeans)", "Men's cotton chino trousers", "Denim jeans for men, 98% cotton"],
    "640399": ["Leather shoes for men", "Ladies' leather boots", "Footwear with leather uppers, assorted"],
    "420221": ["Leather handbags", "Ladies' handbags, outer surface of leather", "Leather shoulder bags"],
    "910211": ["Wrist-watches, quartz, stainless steel case", "Digital wrist-watches",
               "Analogue wrist-watches with leather strap"],
    "330499": ["Make-up preparations (foundation, lipstick)", "Skin care creams", "Cosmetic face masks and serums"],
    "300490": ["Paracetamol 500 mg tablets in blister packs", "Medicaments in measured doses (tablets)",
               "Pharmaceutical preparations in capsules, retail packs"],
    "950300": ["Plastic toys, assorted", "Children's building blocks", "Plush toys", "Toy cars, battery operated"],
    "940360": ["Wooden dining tables", "Wooden bedroom furniture, knocked down", "Solid wood cabinets"],
    "870899": ["Motor vehicle parts: brake discs", "Auto parts: radiators", "Car suspension components",
               "Exhaust systems for cars"],
    "401110": ["New pneumatic tyres for passenger cars", "Car tyres 205/55 R16", "Radial tyres for cars"],
    "731815": ["Steel screws and bolts", "Hexagon bolts, zinc plated steel", "Steel threaded screws, assorted"],
    "720851": ["Hot-rolled steel plate, thickness over 10 mm", "Hot-rolled non-alloy steel plates",
               "Steel plates S355, hot rolled"],
    "760110": ["Unwrought aluminium ingots", "Primary aluminium ingots 99.7%", "Aluminium T-bars, unwrought"],
    "392690": ["Plastic household articles", "Plastic storage boxes", "Plastic kitchen utensils",
               "Plastic phone cases"],
    "481910": ["Corrugated paper cartons", "Cardboard boxes, flat packed", "Corrugated cardboard packaging"],
    "090111": ["Green coffee beans, Arabica, not roasted", "Robusta coffee, green, 60 kg bags",
               "Raw coffee beans, not decaffeinated"],
    "080390": ["Fresh bananas (Cavendish)", "Bananas, fresh, 18.14 kg boxes", "Fresh bananas"],
    "030617": ["Frozen shrimps (Vannamei), peeled", "Frozen black tiger prawns", "Frozen shrimp, raw, head-on"],
    "220421": ["Red wine in bottles 0.75 l", "White wine in bottles, 75 cl",
               "Wine, Cabernet Sauvignon, 6 x 0.75 l cases"],
    "240220": ["Cigarettes containing tobacco", "Cigarettes, king size, 50 cartons per case"],
    "170199": ["Cane sugar, white, refined", "White crystal sugar ICUMSA 45, 50 kg bags"],
    "100630": ["Long grain white rice, milled", "Basmati rice, wholly milled", "Jasmine rice, fully milled"],
    "520100": ["Raw cotton, not carded or combed", "Cotton lint in bales"],
    "271019": ["Lubricating oils in drums", "Engine oil base stocks", "Hydraulic oils in IBCs"],
    "280300": ["Carbon black N330, in bags", "Carbon black for the rubber industry"],
}

# Honest descriptions with a word that restricted goods also use ("pistols", "ivory"), in a
# harmless sense: water pistols are toys, ivory is a colour. A small share of honest filings.
LOOKALIKE_DESCRIPTIONS = {
    "950300": ["Water pistols, plastic, assorted colours", "Toy water pistols with pump tank"],
    "610910": ["Ladies' cotton T-shirts, ivory colour", "T-shirts 100% cotton, ivory and black"],
    "940360": ["Wooden cabinets, ivory white lacquer finish", "Solid wood dressers, ivory painted"],
    "640399": ["Ladies' leather boots, ivory", "Leather shoes for women, ivory colour"],
    "420221": ["Leather handbags, ivory colour", "Ladies' leather shoulder bags, ivory"],
}

# FCL gross mass range (kg) and box type; goods not listed use (4000, 12000, "45G1").
FCL = {
    "720851": (18000, 26000, "22G1"), "760110": (18000, 24000, "22G1"), "100630": (20000, 25000, "22G1"),
    "170199": (20000, 25000, "22G1"), "090111": (19000, 21500, "22G1"), "080390": (18000, 21500, "45R1"),
    "030617": (20000, 24000, "45R1"), "220421": (10000, 20000, "22G1"), "520100": (20000, 23000, "45G1"),
    "271019": (16000, 21000, "22G1"), "280300": (8000, 15000, "45G1"), "401110": (5000, 9000, "45G1"),
    "940360": (4000, 9000, "45G1"), "731815": (18000, 24000, "22G1"), "870899": (8000, 18000, "45G1"),
    "850760": (8000, 18000, "22G1"), "854231": (500, 3000, "22G1"), "910211": (500, 2000, "22G1"),
    "851712": (2000, 6000, "45G1"), "852872": (6000, 10000, "45G1"), "481910": (8000, 14000, "45G1"),
    "240220": (5000, 9000, "45G1"), "844399": (3000, 8000, "45G1"), "420221": (3000, 7000, "45G1"),
}

# Sectors: HS codes and the modes their goods travel by.
SECTORS = {
    "electronics": (["847130", "847330", "852872", "854231", "850760"], {"SEA", "AIR"}),
    "mobile": (["851712"], {"SEA", "AIR"}),
    "printing": (["844399"], {"SEA", "AIR"}),
    "apparel": (["610910", "620342"], {"SEA", "AIR", "ROAD"}),
    "footwear": (["640399", "420221"], {"SEA", "AIR"}),
    "watches": (["910211"], {"AIR"}),
    "cosmetics": (["330499"], {"SEA", "AIR", "ROAD"}),
    "pharma": (["300490"], {"SEA", "AIR", "ROAD"}),
    "toys": (["950300", "392690"], {"SEA"}),
    "furniture": (["940360"], {"SEA", "ROAD"}),
    "auto": (["870899", "401110", "731815"], {"SEA", "ROAD"}),
    "steel": (["720851", "760110"], {"SEA"}),
    "packaging": (["481910", "392690"], {"SEA", "ROAD"}),
    "coffee": (["090111"], {"SEA"}),
    "fruit": (["080390"], {"SEA"}),
    "seafood": (["030617"], {"SEA"}),
    "wine": (["220421"], {"SEA"}),
    "staples": (["100630", "170199"], {"SEA"}),
    "cotton": (["520100"], {"SEA"}),
    "oils": (["271019"], {"SEA"}),
    "carbon": (["280300"], {"SEA"}),
    "tobacco": (["240220"], {"SEA", "ROAD"}),
}
# Goods that e-commerce sellers post (small, light).
POSTAL_HS = ["851712", "844399", "640399", "420221", "910211", "330499", "950300", "392690", "847330", "854231"]

# Exporting countries: weight in sea/air trade, sectors with weights.
EXPORTERS = {
    "CN": (30, {"electronics": 3, "mobile": 2, "printing": 1, "apparel": 2, "footwear": 1.5, "toys": 2,
                "furniture": 1, "auto": 1, "steel": 0.5, "packaging": 1, "cosmetics": 0.5, "watches": 0.5,
                "carbon": 0.3}),
    "VN": (7, {"apparel": 3, "footwear": 2.5, "furniture": 1.5, "electronics": 1, "mobile": 1, "coffee": 1,
               "seafood": 1, "staples": 0.5}),
    "IN": (8, {"apparel": 2, "pharma": 2, "seafood": 1, "staples": 1, "cotton": 0.5, "steel": 0.8, "auto": 1,
               "footwear": 1, "carbon": 0.3}),
    "TR": (6, {"apparel": 3, "auto": 2, "furniture": 1, "steel": 1, "electronics": 1, "packaging": 0.5,
               "cosmetics": 0.3, "tobacco": 0.3}),
    "US": (9, {"electronics": 1, "pharma": 1.5, "auto": 1, "cotton": 0.5, "oils": 0.5, "cosmetics": 1,
               "wine": 0.3, "carbon": 0.3, "tobacco": 0.2}),
    "BR": (4, {"coffee": 2, "staples": 1, "furniture": 0.5, "footwear": 1, "cotton": 0.5, "auto": 0.5, "steel": 0.5}),
    "JP": (4, {"electronics": 1.5, "auto": 2, "watches": 0.5, "cosmetics": 0.5, "steel": 0.5}),
    "KR": (5, {"electronics": 1.5, "mobile": 1, "auto": 2, "steel": 1, "cosmetics": 1}),
    "TW": (3, {"electronics": 2, "auto": 0.5}),
    "MX": (2, {"auto": 2, "electronics": 1}),
    "TH": (2.5, {"staples": 1, "auto": 1, "electronics": 1, "seafood": 1}),
    "MY": (2, {"electronics": 2, "furniture": 1}),
    "ID": (2, {"furniture": 1, "footwear": 1, "coffee": 0.5, "seafood": 0.5}),
    "BD": (3, {"apparel": 4}),
    "PK": (1.5, {"apparel": 2, "staples": 1}),
    "KH": (1, {"apparel": 1, "footwear": 1}),
    "EC": (1.5, {"fruit": 2, "seafood": 2}),
    "CO": (1.5, {"coffee": 2, "fruit": 2}),
    "CR": (0.8, {"fruit": 2}),
    "CL": (1, {"wine": 2}),
    "AR": (0.7, {"wine": 1.5}),
    "ZA": (1, {"wine": 1, "steel": 1}),
    "HK": (2, {"electronics": 1, "mobile": 1, "watches": 1}),
}
ROAD_EXPORTERS = {
    "TR": (55, {"apparel": 3, "auto": 2, "furniture": 1, "packaging": 0.5, "cosmetics": 0.3, "tobacco": 0.2}),
    "MA": (20, {"apparel": 2, "auto": 1}),
    "TN": (10, {"apparel": 2, "auto": 1}),
    "GB": (15, {"pharma": 1, "auto": 1, "cosmetics": 1, "packaging": 0.5}),
}
POSTAL_EXPORTERS = {"CN": 60, "HK": 15, "US": 5, "GB": 5, "TR": 5, "KR": 4, "JP": 3, "IN": 3}

# --------------------------------------------------------------------------------------------
# Ports and airports (UN/LOCODEs, all present in the reference list).
SEA_POL = {
    "CN": ["CNSGH", "CNNBO", "CNYTN", "CNSHK", "CNQIN", "CNXAM", "CNTNJ", "CNDAL", "CNNSA"],
    "HK": ["HKHKG"], "VN": ["VNSGN", "VNHPH", "VNVUT"], "IN": ["INNSA", "INMUN", "INMAA", "INCOK", "INTUT"],
    "TR": ["TRMER", "TRIZM", "TRGEM", "TRALI"], "US": ["USNYC", "USSAV", "USHOU", "USCHS", "USBAL", "USORF"],
    "BR": ["BRSSZ", "BRPNG", "BRRIG", "BRITJ", "BRSSA"], "JP": ["JPTYO", "JPYOK", "JPUKB", "JPNGO", "JPOSA"],
    "KR": ["KRPUS", "KRBNP", "KRINC", "KRKAN"], "TW": ["TWKHH", "TWKEL"], "MX": ["MXVER", "MXATM"],
    "TH": ["THLCH", "THBKK"], "MY": ["MYPKG", "MYTPP", "MYPEN"], "ID": ["IDJKT", "IDSUB"], "BD": ["BDCGP"],
    "PK": ["PKKHI", "PKBQM"], "KH": ["KHKOS"], "EC": ["ECGYE", "ECPBO", "ECPSJ"], "CO": ["COSMR", "COCTG", "COTRB"],
    "CR": ["CRMOB", "CRLIO"], "CL": ["CLSAI", "CLVAP"], "AR": ["ARBUE"], "ZA": ["ZADUR", "ZACPT", "ZANGQ"],
}
AIR_POL = {
    "CN": ["CNSGH", "CNTNJ", "CNXAM", "CNQIN", "CNCQI"], "HK": ["HKHKG"], "VN": ["VNSGN", "VNHPH"],
    "IN": ["INMAA", "INCCU", "INCOK"], "TR": ["TRIST", "TRIZM"], "US": ["USNYC", "USLAX", "USMIA", "USHOU", "USSEA"],
    "BR": ["BRRIO", "BRMAO"], "JP": ["JPTYO", "JPOSA", "JPNGO"], "KR": ["KRINC"], "TW": ["TWKHH"],
    "TH": ["THBKK"], "MY": ["MYPEN"], "ID": ["IDJKT"], "BD": ["BDCGP"], "PK": ["PKKHI"], "KH": [],
    "EC": ["ECGYE"], "CO": ["COCTG"], "ZA": ["ZACPT", "ZADUR"], "GB": ["GBLIV"], "MX": [], "CR": [], "CL": [],
    "AR": [],
}
# Hinterland: which EU consignee countries a port of unloading serves.
SEA_POD = {
    "NLRTM": ["NL", "DE", "BE", "AT", "CZ", "HU", "PL", "FR"], "BEANR": ["BE", "NL", "DE", "FR"],
    "DEHAM": ["DE", "AT", "CZ", "PL", "DK", "HU"], "DEBRV": ["DE", "AT", "CZ"], "FRLEH": ["FR"], "FRFOS": ["FR"],
    "ITGOA": ["IT", "AT"], "ITSPE": ["IT"], "ITGIT": ["IT"], "ITNAP": ["IT"], "ITTRS": ["IT", "AT", "HU", "CZ"],
    "ESVLC": ["ES", "PT"], "ESBCN": ["ES"], "ESALG": ["ES"], "PLGDN": ["PL", "CZ"], "GRPIR": ["GR", "RO"],
    "SIKOP": ["AT", "HU", "CZ"], "PTSIE": ["PT"], "PTLEI": ["PT"], "ROCND": ["RO", "HU"], "SEGOT": ["SE", "FI"],
    "DKAAR": ["DK", "SE"], "FIHEL": ["FI"], "IEDUB": ["IE"],
}
AIR_POD = {"NLAMS": ["NL", "DE", "BE", "FR", "PL", "CZ", "AT", "HU", "RO"], "DEHAM": ["DE", "AT", "PL", "CZ", "DK"],
           "ITVCE": ["IT", "AT"], "ITNAP": ["IT"], "ESBCN": ["ES", "FR", "PT"], "ESVLC": ["ES"], "DKCPH": ["DK", "SE"],
           "SESTO": ["SE", "FI"], "FIHEL": ["FI"], "IEDUB": ["IE"], "PTLIS": ["PT"]}
POSTAL_POD = ["NLAMS", "DEHAM", "ESBCN", "ITVCE"]
# How much of the trade each port of unloading takes (sea, air, post).
SEA_POD_WEIGHTS = {"NLRTM": 25, "BEANR": 18, "DEHAM": 16, "DEBRV": 5, "FRLEH": 6, "FRFOS": 4, "ITGOA": 6,
                   "ITSPE": 3, "ITGIT": 3, "ITNAP": 1, "ITTRS": 3, "ESVLC": 6, "ESBCN": 4, "ESALG": 3, "PLGDN": 4,
                   "GRPIR": 4, "SIKOP": 2, "PTSIE": 2, "PTLEI": 1, "ROCND": 1, "SEGOT": 2, "DKAAR": 1, "FIHEL": 1,
                   "IEDUB": 1}
MED_PODS = {"ITGOA", "ITSPE", "ITGIT", "ITNAP", "ITTRS", "ESVLC", "ESBCN", "ESALG", "GRPIR", "SIKOP", "FRFOS", "ROCND"}
AIR_POD_WEIGHTS = {"NLAMS": 30, "DEHAM": 15, "ITVCE": 8, "ITNAP": 3, "ESBCN": 10, "ESVLC": 4, "DKCPH": 5,
                   "SESTO": 4, "FIHEL": 3, "IEDUB": 3, "PTLIS": 3}
POSTAL_POD_WEIGHTS = {"NLAMS": 40, "DEHAM": 25, "ESBCN": 15, "ITVCE": 10}

# Sea routing from an exporting country: list of (hub UN/LOCODE or None for direct, weight).
SEA_HUBS = {
    "CN": [(None, 5), ("SGSIN", 2), ("LKCMB", 1), ("MYTPP", 1), ("EGPSD", 1), ("MAPTM", 0.7)],
    "HK": [(None, 2), ("SGSIN", 1)], "VN": [("SGSIN", 3), (None, 1), ("MYTPP", 1)], "KH": [("SGSIN", 1), ("MYTPP", 1)],
    "IN": [(None, 3), ("LKCMB", 2), ("AEJEA", 1), ("OMSLL", 1)], "BD": [("LKCMB", 2), ("SGSIN", 1)],
    "PK": [(None, 1), ("AEJEA", 1), ("OMSLL", 1)], "TR": [(None, 4)],
    "US": [(None, 4)], "BR": [(None, 3), ("MAPTM", 1)], "JP": [(None, 2), ("SGSIN", 1)],
    "KR": [(None, 3), ("SGSIN", 1)],
    "TW": [(None, 1), ("SGSIN", 1)], "MX": [(None, 2), ("JMKIN", 1)], "TH": [("SGSIN", 2), (None, 1)],
    "MY": [(None, 2), ("SGSIN", 1)], "ID": [("SGSIN", 3), (None, 1)], "EC": [("PAMIT", 2), (None, 2)],
    "CO": [(None, 2), ("PAMIT", 1)], "CR": [(None, 2), ("PAMIT", 1)], "CL": [("PAMIT", 2), (None, 1)],
    "AR": [(None, 2), ("MAPTM", 1)], "ZA": [(None, 2), ("MAPTM", 1)],
}
# Unplanned transshipment ports for ROUTE_DEVIATION, by region of the port of loading.
DEVIATION_PORTS = {
    "asia": ["EGPSD", "AEJEA", "LKCMB", "OMSLL", "MAPTM", "SGSIN", "MYTPP", "SAJED"],
    "americas": ["PAMIT", "JMKIN", "MAPTM", "COCTG", "DOCAU"],
    "other": ["MAPTM", "EGPSD", "TRALI", "OMSLL"],
}
ASIA = {"CN", "HK", "VN", "KH", "IN", "BD", "PK", "JP", "KR", "TW", "TH", "MY", "ID"}
AMERICAS = {"US", "BR", "MX", "EC", "CO", "CR", "CL", "AR"}

# Air: hub country -> (hub airport UN/LOCODE, airline IATA code).
AIR_HUBS = {"AE": ("AEAUH", "EY"), "QA": ("QADOH", "QR"), "TR": ("TRIST", "TK"), "SG": ("SGSIN", "SQ"),
            "HK": ("HKHKG", "CX"), "GB": ("GBLIV", "BA")}
AIR_HUB_CHOICES = {
    "CN": [(None, 4), ("AE", 1), ("QA", 1), ("TR", 1)], "HK": [(None, 4), ("AE", 1)],
    "VN": [(None, 1), ("QA", 1), ("SG", 1)],
    "IN": [(None, 2), ("AE", 2), ("QA", 1)], "TR": [(None, 1)], "US": [(None, 1)], "BR": [(None, 2), ("TR", 1)],
    "JP": [(None, 2)], "KR": [(None, 2)], "TW": [(None, 1), ("HK", 1)], "TH": [(None, 1), ("QA", 1)],
    "MY": [(None, 1), ("SG", 1)], "ID": [(None, 1), ("SG", 1)], "BD": [("AE", 1), ("QA", 1), ("TR", 1)],
    "PK": [("AE", 1), ("QA", 1)], "EC": [(None, 1)], "CO": [(None, 1)], "ZA": [(None, 1), ("AE", 1)],
    "GB": [(None, 1)],
}
# Airlines flying direct from a country to Europe.
HOME_AIRLINES = {"CN": ["CA", "CK", "CZ"], "HK": ["CX"], "VN": ["VN"], "IN": ["AI"], "TR": ["TK"],
                 "US": ["FX", "5X"], "BR": ["LA"], "JP": ["NH", "JL"], "KR": ["KE", "OZ"], "TW": ["CI", "BR"],
                 "TH": ["TG"], "MY": ["MH"], "ID": ["GA"], "BD": ["BG"], "PK": ["PK"], "EC": ["LA"],
                 "CO": ["AV"], "ZA": ["SA"], "GB": ["BA"], "SG": ["SQ"], "AE": ["EY"], "QA": ["QR"]}
# Airline IATA code -> (ICAO code used as carrier id, three-digit air waybill prefix).
AIRLINES = {"EY": ("ETD", "607"), "EK": ("UAE", "176"), "QR": ("QTR", "157"), "TK": ("THY", "235"),
            "SQ": ("SIA", "618"), "CX": ("CPA", "160"), "CA": ("CCA", "999"), "CK": ("CKK", "112"),
            "CZ": ("CSN", "784"), "VN": ("HVN", "738"), "AI": ("AIC", "098"), "FX": ("FDX", "023"),
            "5X": ("UPS", "406"), "LA": ("LAN", "045"), "NH": ("ANA", "205"), "JL": ("JAL", "131"),
            "KE": ("KAL", "180"), "OZ": ("AAR", "988"), "CI": ("CAL", "297"), "BR": ("EVA", "695"),
            "TG": ("THA", "217"), "MH": ("MAS", "232"), "GA": ("GIA", "126"), "BG": ("BBC", "997"),
            "PK": ("PIA", "214"), "AV": ("AVA", "134"), "SA": ("SAA", "083"), "BA": ("BAW", "125"),
            "LH": ("DLH", "020"), "KL": ("KLM", "074"), "AF": ("AFR", "057")}

# Road: Ro-Ro ferry crossings (port of loading, port of unloading) and consignee countries.
ROAD_ROUTES = {
    "TR": [("TRIST", "ITTRS", ["IT", "AT", "DE", "HU", "CZ"]), ("TRMER", "ITTRS", ["IT", "AT", "DE"]),
           ("TRIZM", "ITTRS", ["IT", "FR", "DE"])],
    "MA": [("MAPTM", "ESALG", ["ES", "FR", "PT"]), ("MATNG", "ESALG", ["ES", "FR"])],
    "TN": [("TNTUN", "ITGOA", ["IT", "FR"])],
    "GB": [("GBHUL", "NLRTM", ["NL", "DE", "BE"]), ("GBHUL", "BEZEE", ["BE", "FR", "DE"]), ("GBLIV", "IEDUB", ["IE"])],
}
PLATE_FORMATS = {"TR": "## AA ###", "MA": "#####-A-##", "TN": "### TU ####", "GB": "AA## AAA"}

# Ocean carriers: SCAC -> (name prefix for vessels, container owner codes, seal prefix, flags).
CARRIERS = {
    "MAEU": ("MAERSK", ["MSK", "MRK", "MAE"], "ML", ["DK", "SG"]),
    "MSCU": ("MSC", ["MSC", "MED", "MSD"], "FX", ["PA", "LR", "PT"]),
    "CMDU": ("CMA CGM", ["CMA", "ECM"], "C", ["FR", "MT"]),
    "COSU": ("COSCO SHIPPING", ["CSN", "CBH"], "CS", ["HK", "CN"]),
    "HLCU": ("", ["HLX", "HLB"], "HLD", ["DE", "LR"]),
    "ONEY": ("ONE", ["ONE", "NYK"], "OL", ["JP", "PA"]),
    "EGLV": ("EVER", ["EGH", "EMC"], "EMC", ["TW", "GB"]),
    "HDMU": ("HMM", ["HMM"], "HD", ["KR"]),
    "YMLU": ("YM", ["YML", "YMM"], "YM", ["TW", "LR"]),
    "ZIMU": ("ZIM", ["ZIM", "ZCS"], "ZM", ["IL", "LR"]),
}
CARRIER_WEIGHTS = {"MSCU": 20, "MAEU": 17, "CMDU": 13, "COSU": 11, "HLCU": 8, "ONEY": 6, "EGLV": 6, "HDMU": 3,
                   "YMLU": 3, "ZIMU": 2}
LEASING_OWNERS = ["TGH", "TCN", "TRH", "CAI", "SEG", "BMO", "TEM", "DFS", "FSC", "GES"]
VESSEL_WORDS = ["AURORA", "BREMEN", "CASSIOPEIA", "DANUBE", "ELBA", "FIORELLA", "GENOA", "HALCYON", "ISTRIA",
                "JASMINE", "KAPELLA", "LUCIA", "MERIDIAN", "NOVARA", "ORION", "PALERMO", "QUEBEC", "RAVENNA",
                "SAVONA", "TERESA", "UMBRIA", "VALENCIA", "WINTERTHUR", "XANTHOS", "YOKOHAMA", "ZARAGOZA",
                "ALGOL", "BELLATRIX", "CASTOR", "DENEB", "ELARA", "FORNAX", "GEMMA", "HYDRA", "IZAR", "LYRA",
                "MIRA", "NASHIRA", "PERSEUS", "RIGEL", "SIRIUS", "TAURUS", "VEGA", "ANTARES", "ACHERNAR",
                "ESSEN", "DRESDEN", "LEIPZIG", "ODESSA", "TRIESTE", "VERONA", "SINGAPORE", "SHANGHAI",
                "COLOMBO", "MUMBAI", "SANTOS", "HOUSTON", "OAKLAND", "CHARLESTON", "NINGBO", "QINGDAO"]
SERVICE_CODES = ["AE1", "AE2", "AE3", "AE5", "AE7", "FAL1", "FAL3", "NEU1", "NEU3", "LL1", "LL4", "EC2", "TA1",
                 "TA2", "MD1", "MD2", "IPAK", "IOS", "FEX", "SWAN", "ZEX", "MEX2", "EPIC", "ASE"]
